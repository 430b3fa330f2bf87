package nacos

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"

	"github.com/fleetrpc/fleet/common"
)

// Registry URL parameters read by ParseURL.
const (
	// NamespaceKey is the Nacos namespace id; empty means public.
	NamespaceKey = "namespace"
	// GroupKey is Dubbo 3.x's name for the Nacos group; it wins over the
	// URL's group.
	GroupKey = "nacos.group"
	// PollKey is how often subscribed services are re-read from the
	// server, besides its pushes: milliseconds or a Go duration.
	PollKey = "nacos.poll"
)

// Defaults.
const (
	// DefaultPort is the port of a server address that has none.
	DefaultPort = 8848
	// DefaultGroup is the Nacos group when the URL names none.
	DefaultGroup = constant.DEFAULT_GROUP
	// DefaultTimeout bounds each request to the server.
	DefaultTimeout = 10 * time.Second
	// DefaultPoll is the period of the re-read of subscribed services.
	DefaultPoll = 10 * time.Second
)

// Config is a nacos:// URL read for the SDK. Client.CacheDir and
// Client.LogDir are empty: Dirs.Apply fills them.
type Config struct {
	Servers   []constant.ServerConfig
	Client    constant.ClientConfig
	Group     string        // Nacos group: nacos.group, else group, else DEFAULT_GROUP
	Namespace string        // namespace id; "" is public
	Timeout   time.Duration // bounds each request
	Poll      time.Duration // period of the re-read of subscribed services
}

// ParseURL reads a registry or config-center URL:
//
//	nacos://[user:password@]host:port[,host2:port2][?backup=host3:port3
//	  &namespace=…&group=…&nacos.group=…&username=…&password=…&timeout=…
//	  &application=…&nacos.poll=…]
//
// Addresses without a port get 8848; each server's gRPC port is its port +
// 1000, as the SDK assumes. username and password params stand in for the
// URL's user info. timeout (milliseconds or a Go duration, default 10 s)
// bounds each request. An any-host or empty address is an error, and so
// is a bad port or a timeout that is not positive.
func ParseURL(u *common.URL) (Config, error) {
	var c Config
	if u.Host() == "" || u.IsAnyHost() {
		return c, fmt.Errorf("nacos: %s: no server address", u)
	}
	addrs := strings.Split(u.Address(), ",")
	addrs = append(addrs, u.ParamList(common.BackupKey)...)
	for _, a := range addrs {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		host, port, err := splitHostPort(a)
		if err != nil {
			return c, fmt.Errorf("nacos: %s: server %q: %w", u, a, err)
		}
		if host == "" || host == "0.0.0.0" {
			return c, fmt.Errorf("nacos: %s: server %q: no host", u, a)
		}
		c.Servers = append(c.Servers, constant.ServerConfig{
			IpAddr: host, Port: port, GrpcPort: port + constant.RpcPortOffset,
			Scheme: "http", ContextPath: "/nacos",
		})
	}
	if len(c.Servers) == 0 {
		return c, fmt.Errorf("nacos: %s: no server address", u)
	}
	var err error
	if c.Timeout, err = u.ParamDuration(common.TimeoutKey, DefaultTimeout); err != nil {
		return c, fmt.Errorf("nacos: %s: %w", u, err)
	}
	if c.Poll, err = u.ParamDuration(PollKey, DefaultPoll); err != nil {
		return c, fmt.Errorf("nacos: %s: %w", u, err)
	}
	if c.Timeout <= 0 || c.Poll <= 0 {
		return c, fmt.Errorf("nacos: %s: timeout and %s must be positive", u, PollKey)
	}
	c.Group = u.ParamOr(GroupKey, u.ParamOr(common.GroupKey, DefaultGroup))
	c.Namespace = u.ParamOr(NamespaceKey, "")
	user, pass := u.Username(), u.Password()
	if user == "" {
		user, pass = u.ParamOr(common.UsernameKey, ""), u.ParamOr(common.PasswordKey, "")
	}
	c.Client = constant.ClientConfig{
		TimeoutMs:            uint64(c.Timeout / time.Millisecond),
		NamespaceId:          c.Namespace,
		AppName:              u.ParamOr(common.ApplicationKey, ""),
		Username:             user,
		Password:             pass,
		NotLoadCacheAtStart:  true,
		UpdateCacheWhenEmpty: true, // an empty list is news, not noise
		DisableUseSnapShot:   true, // fleet keeps its own snapshot
		LogLevel:             "warn",
		UpdateThreadNum:      1,
	}
	return c, nil
}

// splitHostPort splits host[:port]; no port is DefaultPort.
func splitHostPort(a string) (string, uint64, error) {
	host, p, err := net.SplitHostPort(a)
	if err != nil {
		if strings.Contains(err.Error(), "missing port") {
			return strings.Trim(a, "[]"), DefaultPort, nil
		}
		return "", 0, err
	}
	if p == "" {
		return host, DefaultPort, nil
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil || port == 0 || port+constant.RpcPortOffset > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	return host, port, nil
}
