package directory

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
)

func TestMerge(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		consumer string
		want     string
	}{
		{"spec example",
			"dubbo://10.0.0.1:20880/org.a.Svc?application=p&timeout=2000&threads=200",
			"application=c&timeout=1000",
			"dubbo://10.0.0.1:20880/org.a.Svc?application=c&check=false&remote.application=p&timeout=1000"},
		{"provider-only thread keys dropped, default forms too",
			"dubbo://h:1/S?threadname=t&threadpool=fixed&corethreads=1&threads=2&queues=3&alive=4&transporter=netty&default.threads=5&weight=7",
			"",
			"dubbo://h:1/S?check=false&weight=7"},
		{"provider keeps dubbo release methods timestamp tag",
			"dubbo://h:1/S?dubbo=2.0.2&release=2.7.23&methods=a,b&timestamp=1&dubbo.tag=gray",
			"dubbo=2.0.0&release=3&methods=x&timestamp=2&dubbo.tag=blue&application=c",
			"dubbo://h:1/S?application=c&check=false&dubbo=2.0.2&dubbo.tag=gray&methods=a,b&release=2.7.23&timestamp=1"},
		{"provider group version generic win when present",
			"dubbo://h:1/S?group=pg&version=1&generic=true",
			"group=*&version=*&generic=false&a=1",
			"dubbo://h:1/S?a=1&check=false&generic=true&group=pg&version=1"},
		{"consumer group version generic fill when provider has none",
			"dubbo://h:1/S?x=1",
			"group=cg&version=2&generic=true",
			"dubbo://h:1/S?check=false&generic=true&group=cg&version=2&x=1"},
		{"consumer wins on other keys",
			"dubbo://h:1/S?timeout=1&retries=5&loadbalance=random&cluster=failfast&sayHello.timeout=9&mock=true",
			"timeout=2&retries=0&loadbalance=roundrobin&cluster=failover&sayHello.timeout=3",
			"dubbo://h:1/S?check=false&cluster=failover&loadbalance=roundrobin&mock=true&retries=0&sayHello.timeout=3&timeout=2"},
		{"filters and listeners joined provider first",
			"dubbo://h:1/S?reference.filter=pf&invoker.listener=pl&application=p",
			"reference.filter=cf&invoker.listener=cl",
			"dubbo://h:1/S?check=false&invoker.listener=pl,cl&reference.filter=pf,cf&remote.application=p&application=p"},
		{"filter of one side only",
			"dubbo://h:1/S?reference.filter=pf",
			"invoker.listener=cl",
			"dubbo://h:1/S?check=false&invoker.listener=cl&reference.filter=pf"},
		{"no consumer params: no remote.application",
			"dubbo://h:1/S?application=p",
			"",
			"dubbo://h:1/S?application=p&check=false"},
		{"empty dubbo path filled from interface",
			"dubbo://h:1?application=p",
			"interface=g/org.a.Svc:1.0",
			"dubbo://h:1/org.a.Svc?check=false&interface=g/org.a.Svc:1.0&remote.application=p&application=p"},
		{"empty path of another protocol kept",
			"rest://h:1?a=1",
			"interface=org.a.Svc",
			"rest://h:1?a=1&check=false&interface=org.a.Svc"},
		{"consumer remote.application replaced",
			"dubbo://h:1/S?a=1",
			"remote.application=x&b=2",
			"dubbo://h:1/S?a=1&b=2&check=false"},
		{"user info kept",
			"dubbo://u:pw@h:1/S?a=1",
			"",
			"dubbo://u:pw@h:1/S?a=1&check=false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMerger(common.ParseQueryString(tt.consumer))
			got := m.merge(common.MustParse(tt.provider))
			require.True(t, common.MustParse(tt.want).Equal(got), "got  %s\nwant %s", got.FullString(), tt.want)
			slow := m.mergeSlow(common.MustParse(tt.provider))
			require.True(t, slow.Equal(got), "general path %s\nfast path    %s", slow.FullString(), got.FullString())
			again := m.merge(common.MustParse(tt.provider))
			require.True(t, again.Equal(got), "cached overlay")
			// MergeURL is the same merge, without the directory's steps.
			pub := MergeURL(common.MustParse(tt.provider), common.ParseQueryString(tt.consumer))
			require.False(t, pub.Has(common.CheckKey) && !common.MustParse(tt.provider).Has(common.CheckKey), "MergeURL adds no check=false")
			require.True(t, m.fillPath(pub.WithParam(common.CheckKey, "false")).Equal(got), "MergeURL %s", pub.FullString())
		})
	}
}

func TestMergeURLIsJavasMergeURL(t *testing.T) {
	got := MergeURL(common.MustParse("dubbo://10.0.0.1:20880/org.a.Svc?application=p&timeout=2000&threads=200"),
		map[string]string{"application": "c", "timeout": "1000"})
	require.Equal(t, "dubbo://10.0.0.1:20880/org.a.Svc?application=c&remote.application=p&timeout=1000", got.String())
	got = MergeURL(common.MustParse("dubbo://h:1?application=p&threads=2"), nil)
	require.Equal(t, "dubbo://h:1?application=p", got.String(), "no consumer params: provider-only keys dropped, path left empty")
}

// TestMergePathsAgree checks the fast path of merge (an overlay) against
// the general path on providers that stress the text form.
func TestMergePathsAgree(t *testing.T) {
	providers := []*common.URL{
		common.MustParse("dubbo://10.0.0.1:20880/org.a.Svc?application=p&timeout=5&threads=9&default.retries=3"),
		common.MustParse("dubbo://u:pw@[::1]:20880/org.a.Svc?application=p&x=a=b&y=c#d&z=?q"),
		common.MustParse("dubbo://[fe80::1%25eth0]/org.a.Svc?application=p"),
		common.MustParse("dubbo://h:1?application=p&noValue"),
		common.MustParse("dubbo://h/a/b/c?application=p&ключ=значение&k=значение"),
		common.NewURL("dubbo", "h", 1, "S", map[string]string{"a": "x;y", "b": "1&2", "application": "p"}),
		common.NewURL("dubbo", "h", 1, "S", map[string]string{"a": "", "application": "p"}),
		common.NewURL("dubbo", "h?x", 1, "S", map[string]string{"application": "p"}),
		common.NewURL("dubbo", "h", 1, "S#frag", map[string]string{"application": "p"}),
		common.NewURL("dubbo", "h", 1, "S", map[string]string{"default.timeout": "9", "application": "p"}),
		common.NewURL("dubbo", "h", 1, "S", map[string]string{"k=eq": "v", "application": "p"}),
		common.NewURL("dubbo", "h", 0, "", map[string]string{"application": "p", "group": "g", "version": "1", "generic": "true"}),
		common.NewURL("dubbo", "h", 0, "", nil),
	}
	consumers := []string{
		"",
		"application=c&timeout=1000&interface=org.a.Svc&side=consumer&group=*&version=2",
		"application=c&a=z&weird=x;y",
		"application=c&k=v#w&q=?&blank=%20x",
	}
	for _, c := range consumers {
		q := common.ParseQueryString(c)
		if c == consumers[3] {
			q["blank"] = " x"
		}
		m := newMerger(q)
		for _, p := range providers {
			fast, slow := m.merge(p), m.mergeSlow(p)
			require.True(t, fast.Equal(slow), "consumer %q provider %s\ntext    %s\ngeneral %s", c, p.FullString(), fast.FullString(), slow.FullString())
		}
	}
}

func TestMergeSharesProviderText(t *testing.T) {
	m := newMerger(benchConsumer().Params())
	p := javaProvider(3)
	u := m.merge(p)
	require.True(t, u.Equal(m.mergeSlow(p)))
	// The merged URL adds an index of its parameters only: its own
	// allocations are the URL and that index, whatever the text's size.
	allocs := testing.AllocsPerRun(50, func() { m.merge(p) })
	require.LessOrEqual(t, allocs, 2.0)
}
