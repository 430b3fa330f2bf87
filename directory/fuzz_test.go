package directory

import (
	"testing"

	"github.com/fleetrpc/fleet/common"
)

// FuzzMergePathsAgree checks that merge (text or WithParams path) and
// mergeSlow give equal URLs for any provider URL and consumer query.
func FuzzMergePathsAgree(f *testing.F) {
	f.Add("dubbo://10.0.0.1:20880/org.a.Svc?application=p&timeout=5&threads=9&methods=a,b", "application=c&timeout=1&interface=org.a.Svc")
	f.Add("dubbo://u:pw@[::1]:20880/S?x=a=b&y=c#d&default.z=1", "group=*&version=2")
	f.Add("rest://h?noValue&k=%20v", "reference.filter=x&remote.application=r")
	f.Add("dubbo://h:1/S?reference.filter=a&invoker.listener=b&application=p", "reference.filter=c&invoker.listener=d")
	f.Fuzz(func(t *testing.T, provider, consumer string) {
		p, err := common.Parse(provider)
		if err != nil {
			return
		}
		m := newMerger(common.ParseQueryString(consumer))
		fast, slow := m.merge(p), m.mergeSlow(p)
		if !fast.Equal(slow) {
			t.Fatalf("provider %q consumer %q\nfast %s\nslow %s", provider, consumer, fast.FullString(), slow.FullString())
		}
	})
}
