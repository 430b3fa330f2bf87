package protocol

import (
	"testing"
	"time"
)

// TestRulePropagationTime is not a correctness test: it reports the
// median time from a rule's write to the first call it steers (-v).
func TestRulePropagationTime(t *testing.T) {
	a := newAdmin(t)
	ref := governed(t, a, nil)
	bothAnswer(t, ref)
	var took []time.Duration
	for i := 0; i < 10; i++ {
		want := "p1"
		rule := "force: true\nconditions: [\"=> port = 1\"]\n"
		if i%2 == 1 {
			want, rule = "p2", "force: true\nconditions: [\"=> port = 2\"]\n"
		}
		start := time.Now()
		a.put(serviceConditionKey, rule)
		deadline := time.Now().Add(10 * time.Second)
		for {
			s, err := call(ref)
			if err == nil && s == want+": hello bob" {
				// every one of the next 20 must agree
				ok := true
				for j := 0; j < 20 && ok; j++ {
					s, err := call(ref)
					ok = err == nil && s == want+": hello bob"
				}
				if ok {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("rule %d not applied within 10s", i)
			}
			time.Sleep(100 * time.Microsecond)
		}
		took = append(took, time.Since(start))
	}
	sortDurations(took)
	t.Logf("rule write to calls steered: median %v, max %v over %d writes", took[len(took)/2], took[len(took)-1], len(took))
}

func sortDurations(d []time.Duration) {
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && d[j] < d[j-1]; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
}
