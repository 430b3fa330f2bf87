package nacos_test

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	inacos "github.com/fleetrpc/fleet/internal/nacos"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/registry/nacos"
)

var ctx = context.Background()

// regURL is nacos://addr?namespace=ns&timeout=10000… with extra params
// (a timeout among them replaces the default: a loaded server can take
// seconds to store an instance).
func regURL(addr, ns, extra string) *common.URL {
	u := "nacos://" + addr + "?namespace=" + ns + "&nacos.poll=500ms"
	if !strings.Contains("&"+extra, "&timeout=") {
		u += "&timeout=10000"
	}
	if extra != "" {
		u += "&" + extra
	}
	return common.MustParse(u)
}

// open returns a bare registry closed at cleanup.
func open(t *testing.T, u *common.URL) *nacos.Registry {
	t.Helper()
	r, err := nacos.New(u)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, r.Close()) })
	return r
}

// observer is a plain naming client for looking at what the server holds.
func observer(t testing.TB, addr, ns string) *inacos.NamingClient {
	t.Helper()
	cfg, err := inacos.ParseURL(regURL(addr, ns, ""))
	require.NoError(t, err)
	c, err := inacos.NewNamingClient(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

// hosts waits until service (DEFAULT_GROUP) holds instances at exactly
// want (ip:port, any order) and returns them.
func hosts(t *testing.T, c *inacos.NamingClient, service string, want ...string) []model.Instance {
	t.Helper()
	sort.Strings(want)
	var got []model.Instance
	require.Eventually(t, func() bool {
		svc, err := c.Query(ctx, service, inacos.DefaultGroup)
		if err != nil {
			return false
		}
		got = svc.Hosts
		return strings.Join(addrsOf(got), ",") == strings.Join(want, ",")
	}, 2*testutil.DefaultTimeout, 100*time.Millisecond, "service %s: want %v", service, want)
	return got
}

func addrsOf(hs []model.Instance) []string {
	out := []string{}
	for _, h := range hs {
		out = append(out, h.Ip+":"+strconv.FormatUint(h.Port, 10))
	}
	sort.Strings(out)
	return out
}

// addresses lists host:port of urls, or the protocol of an empty:// list.
func addresses(urls []*common.URL) []string {
	out := []string{}
	for _, u := range urls {
		if u.Protocol() == common.EmptyProtocol {
			out = append(out, "empty:"+u.Category())
			continue
		}
		out = append(out, u.Address())
	}
	sort.Strings(out)
	return out
}

// waitFor reads notifications until one lists exactly want (addresses).
func waitFor(t *testing.T, l *testutil.Listener, want ...string) []*common.URL {
	t.Helper()
	sort.Strings(want)
	deadline := time.After(2 * testutil.DefaultTimeout)
	var last []string
	for {
		select {
		case urls := <-l.C:
			last = addresses(urls)
			if strings.Join(last, ",") == strings.Join(want, ",") {
				return urls
			}
		case <-deadline:
			t.Fatalf("no notification of %v; last %v", want, last)
		}
	}
}

// providerURL is a provider of iface on 127.0.0.1:port with extra params.
func providerURL(iface string, port int, extra string) *common.URL {
	u := "dubbo://127.0.0.1:" + strconv.Itoa(port) + "/" + iface + "?anyhost=true&application=p&interface=" + iface +
		"&methods=sayHello&side=provider"
	if extra != "" {
		u += "&" + extra
	}
	return common.MustParse(u)
}

// consumerURL is a consumer subscription of iface with extra params.
func consumerURL(iface, extra string) *common.URL {
	u := "consumer://127.0.0.1/" + iface + "?application=c&category=providers,configurators,routers&check=false&interface=" +
		iface + "&side=consumer"
	if extra != "" {
		u += "&" + extra
	}
	return common.MustParse(u)
}

// timeAfterPoll waits long enough for a push or a poll (nacos.poll=500ms)
// to have arrived.
func timeAfterPoll() <-chan time.Time { return time.After(1500 * time.Millisecond) }
