package configcenter

import (
	"context"
	"errors"
	"fmt"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/extension"
)

// DefaultGroup is the group rules live in when none is given.
const DefaultGroup = "dubbo"

// URL parameters a config-center URL carries.
const (
	// NamespaceKey is the root of the tree (ZooKeeper, default "dubbo")
	// or the Nacos namespace.
	NamespaceKey = "namespace"
	// GroupKey is the default group of the keys (default "dubbo").
	GroupKey = "group"
)

// Errors a ConfigCenter returns.
var (
	// ErrClosed is returned by the methods of a closed config center.
	ErrClosed = errors.New("configcenter: closed")
	// ErrNotFound is returned by Get for a key that does not exist.
	ErrNotFound = errors.New("configcenter: key not found")
)

// Event is the state of a watched key: its content, or its absence.
type Event struct {
	Key, Group string
	Content    string // empty when Deleted
	Deleted    bool   // the key does not exist (never created, or removed)
}

// ConfigCenter reads, watches and writes rule keys.
//
// Its methods are safe for concurrent use. Methods that talk to the server
// take a context that bounds them; an empty group means the config
// center's default group.
type ConfigCenter interface {
	// URL is the config center's URL (zookeeper://host:port?namespace=…).
	URL() *common.URL

	// Get returns the content of key; ErrNotFound when it does not exist.
	Get(ctx context.Context, key, group string) (string, error)

	// Watch starts delivering the state of key to fn: its current state
	// (content, or Deleted when it does not exist) as soon as it can be
	// read, then each change, deletion and re-creation. Watch does not
	// block on the server: when it cannot be reached the first state
	// arrives once it can. After a reconnection or a new session the key
	// is read again and its state delivered when it changed meanwhile.
	//
	// Calls of fn for one watch never overlap and arrive in order; the same
	// state is not delivered twice in a row. A center that polls (Nacos)
	// may skip a state that lasted less than its period. fn must not block for long
	// and must not call stop. stop ends the watch: once it returns fn is
	// not called again. Watching the same key twice gives two watches.
	Watch(key, group string, fn func(Event)) (stop func(), err error)

	// Publish creates or replaces key with content (as dubbo-admin does).
	Publish(ctx context.Context, key, group, content string) error
	// Remove deletes key; removing a key that does not exist is no error.
	Remove(ctx context.Context, key, group string) error

	// Close ends every watch and releases the connection. Idempotent.
	Close() error
}

// Factory opens a config center for a config-center URL.
type Factory func(url *common.URL) (ConfigCenter, error)

var factories = extension.New[Factory]("configcenter", "config center")

// Register makes a config center implementation available for URLs of the
// given scheme ("zookeeper", "nacos"). It panics when f is nil or the
// scheme is taken.
func Register(scheme string, f Factory) { factories.Register(scheme, f) }

// Open opens the config center url names, through the factory registered
// for its protocol.
func Open(url *common.URL) (ConfigCenter, error) {
	f, err := factories.Get(url.Protocol())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", url, err)
	}
	c, err := f(url)
	if err != nil {
		return nil, fmt.Errorf("configcenter: open %s: %w", url, err)
	}
	return c, nil
}

// Schemes lists the registered schemes, sorted.
func Schemes() []string { return factories.Names() }

// FromRegistry is the config-center URL Java Dubbo derives from a registry
// URL when no config center is configured: the registry's protocol,
// address, credentials and parameters, without refer/export. For a
// ZooKeeper registry its group (its root node, when it has one) becomes
// the namespace and the group, as Java sets them. A Nacos registry keeps
// its namespace, and its group (a naming group) is not the rules' group:
// rules stay in group dubbo, where dubbo-admin writes them.
func FromRegistry(registry *common.URL) *common.URL {
	u := registry.WithoutParams(common.ReferKey, common.ExportKey)
	g, _ := registry.Param(common.GroupKey)
	switch {
	case registry.Protocol() == "nacos":
		u = u.WithoutParams(common.GroupKey, "nacos.group")
	case g != "":
		u = u.WithParams(map[string]string{NamespaceKey: g, GroupKey: g})
	}
	return u
}
