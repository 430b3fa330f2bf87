package zookeeper

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/fleetrpc/fleet/common"
)

// Registry URL parameters read by this package.
const (
	// SessionKey is the session timeout (Dubbo 3.x); milliseconds or a Go
	// duration.
	SessionKey = "session"
	// LegacySessionKey is Dubbo 2.7's name for the session timeout.
	LegacySessionKey = "zk.session.expire"
	// DefaultPort is the port of an ensemble address that has none.
	DefaultPort = 2181
	// DefaultRoot is the root node when the registry URL has no group.
	DefaultRoot = "dubbo"
	// PersistentWatchKey turns the persistent watches off (false): the
	// category paths are then watched with one-shot child watches, each
	// change read as the whole child list. Default true: a session of the
	// registry's own adds a persistent recursive watch (ZooKeeper 3.6+
	// addWatch) on each category path and applies each child created or
	// deleted; a server that does not support it gets child watches.
	PersistentWatchKey = "persistent.watch"
)

// Defaults of the registry URL's timeouts.
const (
	DefaultSessionTimeout = 60 * time.Second
	DefaultTimeout        = 5 * time.Second
)

// config is what New reads from the registry URL; immutable.
type config struct {
	servers        []string
	layout         layout
	sessionTimeout time.Duration
	timeout        time.Duration // bounds each operation and Close
	auth           []byte        // user:password for digest auth, nil without
	acl            []zk.ACL
	persistent     bool // persistent watches on the category paths (PersistentWatchKey)
}

var errAnyHost = errors.New("zookeeper: registry address is empty or any-host")

func parseConfig(u *common.URL) (config, error) {
	var c config
	if u.Host() == "" || u.IsAnyHost() {
		return c, fmt.Errorf("%w: %s", errAnyHost, u)
	}
	for _, s := range strings.Split(u.BackupAddress(DefaultPort), ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.servers = append(c.servers, s)
		}
	}
	var err error
	if c.timeout, err = u.ParamDuration(common.TimeoutKey, DefaultTimeout); err != nil {
		return c, err
	}
	key := SessionKey
	if !u.Has(SessionKey) && u.Has(LegacySessionKey) {
		key = LegacySessionKey
	}
	if c.sessionTimeout, err = u.ParamDuration(key, DefaultSessionTimeout); err != nil {
		return c, err
	}
	if c.timeout <= 0 || c.sessionTimeout <= 0 {
		return c, fmt.Errorf("zookeeper: timeouts must be positive in %s", u)
	}
	if c.persistent, err = strconv.ParseBool(u.ParamOr(PersistentWatchKey, "true")); err != nil {
		return c, fmt.Errorf("zookeeper: %s: %w", PersistentWatchKey, err)
	}
	c.layout = newLayout(u.ParamOr(common.GroupKey, DefaultRoot))
	c.acl = zk.WorldACL(zk.PermAll)
	if u.Username() != "" {
		c.auth = []byte(u.Username() + ":" + u.Password())
		c.acl = zk.DigestACL(zk.PermAll, u.Username(), u.Password())
	}
	return c, nil
}
