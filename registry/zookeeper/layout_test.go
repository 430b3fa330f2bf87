package zookeeper_test

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
)

// capture is what a Java Dubbo 2.7.23 provider and consumer wrote
// (testdata/zk-layout*.txt, section 5): every path of the tree, and for
// each its data and whether it is ephemeral.
type capture struct {
	paths     []string
	data      map[string]string
	ephemeral map[string]bool
}

func readCapture(t *testing.T, file string) capture {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	c := capture{data: map[string]string{}, ephemeral: map[string]bool{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var section5, inLs bool
	var current string
	var wantData bool
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "5. Raw CLI output") {
			section5 = true
			continue
		}
		if !section5 {
			continue
		}
		switch {
		case line == "$ ls -R /dubbo":
			inLs = true
		case strings.HasPrefix(line, "$ get -s "):
			inLs = false
			current = strings.TrimPrefix(line, "$ get -s ")
			wantData = true
		case inLs && strings.HasPrefix(line, "/"):
			c.paths = append(c.paths, line)
		case wantData:
			c.data[current] = line
			wantData = false
		case strings.HasPrefix(line, "ephemeralOwner = "):
			c.ephemeral[current] = strings.TrimPrefix(line, "ephemeralOwner = ") != "0x0"
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, c.paths)
	return c
}

// decodedNodes returns the URLs of the capture's provider and consumer
// nodes: the last segment of each path that holds an encoded "://".
func (c capture) decodedNodes(t *testing.T) []*common.URL {
	var out []*common.URL
	for _, p := range c.paths {
		name := p[strings.LastIndexByte(p, '/')+1:]
		if strings.Contains(name, "%3A%2F%2F") {
			u, err := common.ParseEncoded(name)
			require.NoError(t, err)
			out = append(out, u)
		}
	}
	return out
}

// TestLayoutAsJavaWritesIt replays what the captured Java processes did —
// the provider registers its two services and watches their configurators,
// the consumer registers itself and subscribes to providers, configurators
// and routers — and compares the tree, node by node, with the capture:
// paths, data, ephemeral or persistent.
func TestLayoutAsJavaWritesIt(t *testing.T) {
	for _, file := range []string{"testdata/zk-layout.txt", "testdata/zk-layout-group-version.txt"} {
		t.Run(file, func(t *testing.T) {
			want := readCapture(t, file)
			group := root(t)
			top := "/" + group
			rewrite := func(p string) string { return top + strings.TrimPrefix(p, "/dubbo") }

			provider := open(t, registryURL(t, group, ""))
			consumer := open(t, registryURL(t, group, ""))
			l := testutil.NewListener(20)
			for _, u := range want.decodedNodes(t) {
				if u.Protocol() == common.ConsumerProtocol {
					require.NoError(t, consumer.Register(ctx, u))
					sub := u.WithParams(map[string]string{common.CategoryKey: "providers,configurators,routers"})
					require.NoError(t, consumer.Subscribe(ctx, sub, l))
					continue
				}
				require.NoError(t, provider.Register(ctx, u))
				conf := u.WithProtocol("provider").WithParams(map[string]string{common.CategoryKey: common.ConfiguratorsCategory, common.CheckKey: "false"})
				require.NoError(t, provider.Subscribe(ctx, conf, l))
			}

			obs := observer(t)
			got := tree(t, obs, top)
			wantPaths := make([]string, len(want.paths))
			for i, p := range want.paths {
				wantPaths[i] = rewrite(p)
			}
			sortStrings(wantPaths)
			require.Equal(t, wantPaths, got)

			for p, data := range want.data {
				b, st, err := obs.Get(rewrite(p))
				require.NoError(t, err, p)
				require.Equal(t, data, string(b), "data of %s", p)
				require.Equal(t, want.ephemeral[p], st.EphemeralOwner != 0, "ephemeral %s", p)
			}
		})
	}
}

func TestNodePathIsEncodedFullString(t *testing.T) {
	group := root(t)
	r := open(t, registryURL(t, group, ""))
	u := common.MustParse("dubbo://admin:secret@10.0.0.1:20880/com.foo.BarService?side=provider&interface=com.foo.BarService&application=p&anyhost=true&rule=" + common.Encode("host = 1"))
	require.NoError(t, r.Register(ctx, u))
	obs := observer(t)
	children, _, err := obs.Children("/" + group + "/com.foo.BarService/providers")
	require.NoError(t, err)
	require.Equal(t, []string{common.Encode(u.FullString())}, children)
	require.Contains(t, children[0], "admin%3Asecret%40", "user info is part of the name, as Java's full string")
	require.Contains(t, children[0], "rule%3Dhost%2B%253D%2B1", "an encoded value is encoded again")
}
