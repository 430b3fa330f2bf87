package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

func joinWith(c Cluster, params string, ps []*scripted) protocol.Invoker {
	return c.Join(directory.NewStatic(consumer(params), asInvokers(ps)))
}

func TestFailfast(t *testing.T) {
	tests := []struct {
		name    string
		first   []protocol.Kind
		wantErr error
	}{
		{"success", nil, nil},
		{"business error passes through", []protocol.Kind{protocol.KindBusiness}, protocol.ErrBusiness},
		{"network error keeps its kind", []protocol.Kind{protocol.KindNetwork}, protocol.ErrNetwork},
		{"timeout keeps its kind", []protocol.Kind{protocol.KindTimeout}, protocol.ErrTimeout},
		{"plain error is code 0", []protocol.Kind{plain}, protocol.ErrUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := providers(tt.first, nil)
			err := invoke(t, joinWith(&Failfast{LoadBalance: inOrder{}, Stats: loadbalance.NewStats()}, "", ps), "m").Error()
			require.Equal(t, []int32{1, 0}, calls(ps), "one attempt, never retried")
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			if tt.wantErr != protocol.ErrBusiness {
				require.ErrorContains(t, err, "Failfast invoke providers dubbo://10.0.0.1:20880/org.a.Svc?interface=org.a.Svc "+
					"cluster.inOrder select from all providers [dubbo://10.0.0.1:20880/org.a.Svc?interface=org.a.Svc, dubbo://10.0.0.2:20880/org.a.Svc?interface=org.a.Svc] "+
					"for service org.a.Svc method m on consumer 10.0.0.9 use dubbo version 2.7.23, but no luck to perform the invocation. Last error is: ")
			}
		})
	}
	err := invoke(t, joinWith(&Failfast{LoadBalance: &loadbalance.Random{}}, "&retries=0", providers(fail)), "m").Error()
	require.ErrorContains(t, err, " random select from all providers", "a balancer is named by its Name")
}

func TestFailsafe(t *testing.T) {
	tests := []struct {
		name    string
		ps      []*scripted
		wantErr error
		logged  bool
	}{
		{"success", providers(nil), nil, false},
		{"business error passes through", providers([]protocol.Kind{protocol.KindBusiness}), protocol.ErrBusiness, false},
		{"network error swallowed", providers([]protocol.Kind{protocol.KindNetwork}), nil, true},
		{"plain error swallowed", providers([]protocol.Kind{plain}), nil, true},
		{"no provider swallowed", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, logs := newLog()
			res := invoke(t, joinWith(&Failsafe{Logger: logger, Stats: loadbalance.NewStats()}, "", tt.ps), "m")
			if tt.wantErr != nil {
				require.ErrorIs(t, res.Error(), tt.wantErr)
			} else {
				require.NoError(t, res.Error())
			}
			if tt.logged {
				require.Nil(t, res.Value(), "an empty result")
				require.Contains(t, logs.String(), "Failsafe ignore exception: ")
			} else {
				require.Empty(t, logs.String())
			}
		})
	}
}

func TestAvailable(t *testing.T) {
	ps := providers([]protocol.Kind{protocol.KindBusiness}, nil, nil)
	ps[0].down.Store(true)
	inv := joinWith(&Available{Stats: loadbalance.NewStats()}, "", ps)
	res := invoke(t, inv, "m")
	require.NoError(t, res.Error())
	require.Equal(t, []int32{0, 1, 0}, calls(ps), "the first available, in order")

	ps = providers([]protocol.Kind{protocol.KindBusiness}, nil)
	require.ErrorIs(t, invoke(t, joinWith(&Available{}, "", ps), "m").Error(), protocol.ErrBusiness)
	ps = providers([]protocol.Kind{protocol.KindNetwork}, nil)
	require.ErrorIs(t, invoke(t, joinWith(&Available{}, "", ps), "m").Error(), protocol.ErrNetwork, "not retried")
	require.Equal(t, []int32{1, 0}, calls(ps))

	ps = providers(nil, nil)
	ps[0].down.Store(true)
	ps[1].down.Store(true)
	err := invoke(t, joinWith(&Available{}, "", ps), "m").Error()
	require.ErrorIs(t, err, protocol.ErrNoProvider)
	require.ErrorContains(t, err, "No provider available in [dubbo://10.0.0.1:20880/org.a.Svc?interface=org.a.Svc, dubbo://10.0.0.2:20880/org.a.Svc?interface=org.a.Svc]")
}

func TestBroadcast(t *testing.T) {
	n := protocol.KindNetwork
	b := protocol.KindBusiness
	tests := []struct {
		name      string
		params    string
		scripts   [][]protocol.Kind
		wantErr   error
		wantCalls []int32
	}{
		{"all succeed: the last result", "", [][]protocol.Kind{nil, nil, nil}, nil, []int32{1, 1, 1}},
		{"one fails: all called, it is raised", "", [][]protocol.Kind{nil, {n}, nil}, protocol.ErrNetwork, []int32{1, 1, 1}},
		{"business errors are failures", "", [][]protocol.Kind{nil, nil, {b}}, protocol.ErrBusiness, []int32{1, 1, 1}},
		{"the last failure is raised", "", [][]protocol.Kind{{b}, {n}, nil}, protocol.ErrNetwork, []int32{1, 1, 1}},
		{"plain errors become RPC errors", "", [][]protocol.Kind{{plain}, nil}, protocol.ErrUnknown, []int32{1, 1}},
		{"75%: the 4th is not called after three failures", "&broadcast.fail.percent=75", [][]protocol.Kind{{n}, {n}, {n}, nil}, protocol.ErrNetwork, []int32{1, 1, 1, 0}},
		{"0%: stop at the first failure", "&broadcast.fail.percent=0", [][]protocol.Kind{nil, {n}, nil}, protocol.ErrNetwork, []int32{1, 1, 0}},
		{"out of range means 100", "&broadcast.fail.percent=150", [][]protocol.Kind{{n}, {n}, nil}, protocol.ErrNetwork, []int32{1, 1, 1}},
		{"50% of 3 is 1", "&broadcast.fail.percent=50", [][]protocol.Kind{{n}, nil, nil}, protocol.ErrNetwork, []int32{1, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := providers(tt.scripts...)
			res := invoke(t, joinWith(&Broadcast{Stats: loadbalance.NewStats(), Logger: discard()}, tt.params, ps), "m")
			if tt.wantErr != nil {
				require.ErrorIs(t, res.Error(), tt.wantErr)
			} else {
				require.NoError(t, res.Error())
				require.Equal(t, ps[len(ps)-1].url.Address(), res.Value())
			}
			require.Equal(t, tt.wantCalls, calls(ps))
		})
	}
}

func TestForking(t *testing.T) {
	t.Run("first success wins, the others are cancelled", func(t *testing.T) {
		ps := providers(nil, nil, nil)
		ps[0].delay.Store(int64(time.Minute))
		ps[2].delay.Store(int64(time.Minute))
		ps[1].delay.Store(int64(time.Millisecond))
		res := invoke(t, joinWith(&Forking{Stats: loadbalance.NewStats()}, "&forks=0&timeout=10s", ps), "m")
		require.NoError(t, res.Error())
		require.Equal(t, "10.0.0.2:20880", res.Value())
		require.Eventually(t, func() bool { return ps[0].cancelled.Load() == 1 && ps[2].cancelled.Load() == 1 }, defaultTestTimeout, time.Millisecond)
	})
	t.Run("a business error is a result", func(t *testing.T) {
		ps := providers([]protocol.Kind{protocol.KindBusiness}, nil)
		ps[1].delay.Store(int64(time.Minute))
		require.ErrorIs(t, invoke(t, joinWith(&Forking{}, "&forks=2", ps), "m").Error(), protocol.ErrBusiness)
	})
	t.Run("failures wait for a success", func(t *testing.T) {
		ps := providers(fail, nil)
		ps[1].delay.Store(int64(5 * time.Millisecond))
		res := invoke(t, joinWith(&Forking{}, "&forks=2", ps), "m")
		require.NoError(t, res.Error())
	})
	t.Run("all failed: the last error's kind", func(t *testing.T) {
		ps := providers([]protocol.Kind{protocol.KindTimeout}, []protocol.Kind{protocol.KindTimeout})
		err := invoke(t, joinWith(&Forking{}, "", ps), "m").Error()
		require.ErrorIs(t, err, protocol.ErrTimeout)
		require.ErrorContains(t, err, "Failed to forking invoke provider [dubbo://10.0.0.1:20880/org.a.Svc?interface=org.a.Svc, dubbo://10.0.0.2:20880/org.a.Svc?interface=org.a.Svc], but no luck to perform the invocation. Last error is: ")
	})
	t.Run("nothing within the timeout", func(t *testing.T) {
		ps := providers(nil, nil)
		ps[0].delay.Store(int64(time.Minute))
		ps[1].delay.Store(int64(time.Minute))
		start := time.Now()
		err := invoke(t, joinWith(&Forking{}, "&timeout=20", ps), "m").Error()
		require.ErrorIs(t, err, protocol.ErrTimeout)
		require.Less(t, time.Since(start), defaultTestTimeout)
		require.Eventually(t, func() bool { return ps[0].cancelled.Load()+ps[1].cancelled.Load() == 2 }, defaultTestTimeout, time.Millisecond)
	})
	t.Run("forks distinct providers chosen by select", func(t *testing.T) {
		ps := providers(nil, nil, nil, nil)
		for _, p := range ps {
			p.delay.Store(int64(time.Millisecond))
		}
		invoke(t, joinWith(&Forking{LoadBalance: inOrder{}}, "&forks=2", ps), "m")
		require.Eventually(t, func() bool { return ps[0].calls.Load() == 1 && ps[1].calls.Load() == 1 }, defaultTestTimeout, time.Millisecond)
		require.Equal(t, []int32{0, 0}, calls(ps[2:]))
	})
}

func TestFailback(t *testing.T) {
	t.Run("failure returns empty and is retried in the background", func(t *testing.T) {
		logger, logs := newLog()
		ps := providers([]protocol.Kind{protocol.KindNetwork}, nil)
		inv := joinWith(&Failback{LoadBalance: inOrder{}, Logger: logger, RetryPeriod: time.Millisecond, Stats: loadbalance.NewStats()}, "", ps)
		t.Cleanup(inv.Destroy)
		res := invoke(t, inv, "sayHello")
		require.NoError(t, res.Error())
		require.Nil(t, res.Value())
		require.Contains(t, logs.String(), "Failback to invoke method sayHello, wait for retry in background. Ignored exception: ")
		require.Eventually(t, func() bool { return ps[1].calls.Load() == 1 }, defaultTestTimeout, time.Millisecond, "the retry avoids the provider that failed")
		require.Equal(t, int32(1), ps[0].calls.Load())
	})
	t.Run("business errors pass through, not retried", func(t *testing.T) {
		ps := providers([]protocol.Kind{protocol.KindBusiness}, nil)
		inv := joinWith(&Failback{LoadBalance: inOrder{}, RetryPeriod: time.Millisecond}, "", ps)
		t.Cleanup(inv.Destroy)
		require.ErrorIs(t, invoke(t, inv, "m").Error(), protocol.ErrBusiness)
		require.Zero(t, inv.(*failbackInvoker).pending())
	})
	t.Run("retries bounded by the retries param", func(t *testing.T) {
		for _, tt := range []struct {
			params string
			total  int32
		}{{"", 4}, {"&retries=1", 2}, {"&retries=-1", 4}, {"&retries=0", 4}} {
			logger, logs := newLog()
			ps := providers(fail)
			ps[0].script = append(fail, fail...)
			inv := joinWith(&Failback{Logger: logger, RetryPeriod: time.Millisecond}, tt.params, ps)
			invoke(t, inv, "m")
			if tt.total > 1 {
				require.Eventually(t, func() bool {
					return ps[0].calls.Load() == tt.total && inv.(*failbackInvoker).pending() == 0
				}, defaultTestTimeout, time.Millisecond, tt.params)
				require.Eventually(t, func() bool {
					return bytesContains(logs.String(), "Failed retry times exceed threshold")
				}, defaultTestTimeout, time.Millisecond)
			}
			time.Sleep(5 * time.Millisecond) // a short wait proves no further retry
			require.Equal(t, tt.total, ps[0].calls.Load(), tt.params)
			inv.Destroy()
		}
	})
	t.Run("failbacktasks bounds the queue", func(t *testing.T) {
		logger, logs := newLog()
		ps := providers(fail)
		ps[0].script = nil
		for i := 0; i < 10; i++ {
			ps[0].script = append(ps[0].script, protocol.KindNetwork)
		}
		inv := joinWith(&Failback{Logger: logger, RetryPeriod: time.Hour}, "&failbacktasks=2", ps)
		for i := 0; i < 3; i++ {
			invoke(t, inv, "m")
		}
		require.Equal(t, 2, inv.(*failbackInvoker).pending())
		require.Contains(t, logs.String(), "Failback background works error")
		inv.Destroy() // stops the goroutine; goleak checks it
		require.Zero(t, inv.(*failbackInvoker).pending())
	})
	t.Run("destroy cancels a retry in flight", func(t *testing.T) {
		ps := providers(fail)
		inv := joinWith(&Failback{RetryPeriod: time.Millisecond, Logger: discard()}, "", ps)
		invoke(t, inv, "m")
		ps[0].delay.Store(int64(time.Minute))
		require.Eventually(t, func() bool { return ps[0].calls.Load() >= 2 }, defaultTestTimeout, time.Millisecond)
		done := make(chan struct{})
		go func() { inv.Destroy(); close(done) }()
		select {
		case <-done:
		case <-time.After(defaultTestTimeout):
			t.Fatal("Destroy did not return")
		}
		require.Equal(t, int32(1), ps[0].cancelled.Load())
	})
}

func TestZoneAware(t *testing.T) {
	reg := func(params string) *scripted {
		p := providers(nil)[0]
		p.url = common.MustParse("consumer://10.0.0.9/org.a.Svc?" + params)
		return p
	}
	t.Run("preferred registry first", func(t *testing.T) {
		ps := []*scripted{reg("zone=a"), reg("preferred=true"), reg("registry.preferred=true")}
		inv := joinWith(&ZoneAware{}, "", ps)
		invoke(t, inv, "m")
		require.Equal(t, []int32{0, 1, 0}, calls(ps))
		ps[1].down.Store(true)
		invoke(t, inv, "m")
		require.Equal(t, []int32{0, 1, 1}, calls(ps), "2.7's registry.preferred too; an unavailable one is skipped")
	})
	t.Run("the call's zone", func(t *testing.T) {
		ps := []*scripted{reg("zone=a"), reg("zone=b"), reg("registry.zone=c")}
		inv := joinWith(&ZoneAware{Intn: func(int) int { return 0 }}, "", ps)
		inv.Invoke(context.Background(), protocol.NewInvocation("m").WithAttachment(ZoneAttachment, "b"))
		inv.Invoke(context.Background(), protocol.NewInvocation("m").WithAttachment(ZoneAttachment, "c"))
		require.Equal(t, []int32{0, 1, 1}, calls(ps))
		// The detector stands in for the attachment.
		det := joinWith(&ZoneAware{ZoneDetector: func(context.Context, protocol.Invocation) string { return "b" }}, "", ps)
		invoke(t, det, "m")
		require.Equal(t, []int32{0, 2, 1}, calls(ps))
		// An unknown zone falls back to the weighted pick, or fails when forced.
		inv.Invoke(context.Background(), protocol.NewInvocation("m").WithAttachment(ZoneAttachment, "x"))
		require.Equal(t, []int32{1, 2, 1}, calls(ps))
		err := inv.Invoke(context.Background(), protocol.NewInvocation("m").WithAttachment(ZoneAttachment, "x").WithAttachment(ZoneForceAttachment, "true")).Error()
		require.ErrorIs(t, err, protocol.ErrNoProvider)
		require.ErrorContains(t, err, "No registry instance in zone or no available providers in the registry, zone: x, registries: [consumer://10.0.0.9/org.a.Svc?zone=a, ")
	})
	t.Run("weighted pick by registry weight", func(t *testing.T) {
		ps := []*scripted{reg("weight=10"), reg("weight=30"), reg("")}
		for offset, want := range map[int]int{0: 0, 9: 0, 10: 1, 39: 1, 40: 2, 139: 2} {
			before := calls(ps)[want]
			inv := joinWith(&ZoneAware{Intn: func(n int) int { require.Equal(t, 140, n); return offset }}, "", ps)
			invoke(t, inv, "m")
			require.Equal(t, before+1, calls(ps)[want], "offset %d", offset)
		}
	})
	t.Run("errors are returned as they are, not retried", func(t *testing.T) {
		for _, kind := range []protocol.Kind{protocol.KindBusiness, protocol.KindNetwork} {
			ps := []*scripted{reg("preferred=true"), reg("")}
			ps[0].script = []protocol.Kind{kind}
			err := invoke(t, joinWith(&ZoneAware{}, "", ps), "m").Error()
			require.Equal(t, kind, protocol.KindOf(err))
			require.Equal(t, []int32{1, 0}, calls(ps))
		}
	})
	t.Run("the first available when the pick is down", func(t *testing.T) {
		ps := []*scripted{reg(""), reg(""), reg("")}
		ps[0].down.Store(true)
		inv := joinWith(&ZoneAware{Intn: func(int) int { return 0 }}, "", ps)
		invoke(t, inv, "m")
		require.Equal(t, []int32{0, 1, 0}, calls(ps))
		for _, p := range ps {
			p.down.Store(true)
		}
		require.ErrorContains(t, invoke(t, inv, "m").Error(), "No provider available in [")
	})
}
