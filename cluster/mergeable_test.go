package cluster

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// group is a per-group cluster invoker answering with a fixed value or
// error.
type group struct {
	scripted
	value any
	err   error
}

func (g *group) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	g.calls.Add(1)
	if g.err != nil {
		return protocol.ErrorResult(g.err)
	}
	return protocol.NewResult(g.value, nil)
}

func groups(values ...any) []*group {
	out := make([]*group, len(values))
	for i, v := range values {
		g := &group{value: v}
		g.url = common.MustParse("consumer://10.0.0.9/org.a.Svc?interface=org.a.Svc&group=g" + string(rune('1'+i)))
		if err, ok := v.(error); ok {
			g.value, g.err = nil, err
		}
		out[i] = g
	}
	return out
}

func joinGroups(params string, gs []*group) protocol.Invoker {
	list := make([]protocol.Invoker, len(gs))
	for i, g := range gs {
		list[i] = g
	}
	return (&Mergeable{Stats: loadbalance.NewStats(), Logger: discard()}).Join(directory.NewStatic(consumer(params), list))
}

func groupCalls(gs []*group) []int32 {
	out := make([]int32, len(gs))
	for i, g := range gs {
		out[i] = g.calls.Load()
	}
	return out
}

func rpcErr(kind protocol.Kind) error {
	return protocol.NewError(kind, "org.a.Svc", "m", "", "scripted", nil)
}

func TestMergeableWithoutMerger(t *testing.T) {
	gs := groups("a", "b")
	res := invoke(t, joinGroups("", gs), "m")
	require.Equal(t, "a", res.Value())
	require.Equal(t, []int32{1, 0}, groupCalls(gs))

	gs = groups(rpcErr(protocol.KindNoProvider), "b")
	require.Equal(t, "b", invoke(t, joinGroups("&merger=false", gs), "m").Value(), "a group without provider moves on")

	gs = groups(rpcErr(protocol.KindTimeout), "b")
	require.ErrorIs(t, invoke(t, joinGroups("", gs), "m").Error(), protocol.ErrTimeout, "other failures are returned")
	require.Equal(t, []int32{1, 0}, groupCalls(gs))

	gs = groups(rpcErr(protocol.KindBusiness), "b")
	require.ErrorIs(t, invoke(t, joinGroups("", gs), "m").Error(), protocol.ErrBusiness)

	gs = groups("a", "b")
	gs[0].down.Store(true)
	gs[1].down.Store(true)
	require.Equal(t, "a", invoke(t, joinGroups("", gs), "m").Value(), "none available: the first")
}

type tally struct{ n int }

func (t tally) Add(o tally) tally { return tally{t.n + o.n} }

type counter struct{ n int }

func (c *counter) Absorb(o *counter) { c.n += o.n }

func TestMergeableMerges(t *testing.T) {
	tests := []struct {
		name   string
		params string
		values []any
		want   any
		err    string
	}{
		{"slices by kind", "&merger=true", []any{[]string{"a"}, []string{"b", "c"}}, []string{"a", "b", "c"}, ""},
		{"maps by kind", "&m.merger=default", []any{map[string]int{"a": 1, "b": 1}, map[string]int{"b": 2}}, map[string]int{"a": 1, "b": 2}, ""},
		{"a nil value is skipped", "&merger=true", []any{nil, []int{1}, []int{2}}, []int{1, 2}, ""},
		{"named list", "&merger=list", []any{[]int{1}, []int{1, 2}}, []int{1, 1, 2}, ""},
		{"named set", "&merger=set", []any{[]int{1}, []int{1, 2}}, []int{1, 2}, ""},
		{"method returning the merge", "&merger=.add", []any{tally{1}, tally{2}, tally{3}}, tally{6}, ""},
		{"no merger for the kind", "&merger=true", []any{1, 2}, nil, "There is no merger to merge result."},
		{"unknown merger", "&merger=nope", []any{1, 2}, nil, `unknown merger "nope"`},
		{"missing method", "&merger=.nope", []any{tally{1}, tally{2}}, nil, "Can not merge result because missing method [ Nope ]"},
		{"business errors are left out", "&merger=true", []any{[]int{1}, rpcErr(protocol.KindBusiness), []int{2}}, []int{1, 2}, ""},
		{"one value: its result", "&merger=true", []any{rpcErr(protocol.KindBusiness), 7}, 7, ""},
		{"no value: empty", "&merger=true", []any{rpcErr(protocol.KindBusiness)}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs := groups(tt.values...)
			res := invoke(t, joinGroups(tt.params, gs), "m")
			if tt.err != "" {
				require.ErrorContains(t, res.Error(), tt.err)
				return
			}
			require.NoError(t, res.Error())
			require.Equal(t, tt.want, res.Value())
			for _, c := range groupCalls(gs) {
				require.Equal(t, int32(1), c, "every group is called")
			}
		})
	}

	// In place: a method without a result updates the first value.
	gs := groups(&counter{1}, &counter{2})
	require.Equal(t, &counter{3}, invoke(t, joinGroups("&merger=.absorb", gs), "m").Value())

	// An RPC failure of a group fails the call, naming the group.
	gs = groups([]int{1}, rpcErr(protocol.KindTimeout))
	err := invoke(t, joinGroups("&merger=true", gs), "m").Error()
	require.ErrorIs(t, err, protocol.ErrTimeout)
	require.ErrorContains(t, err, "Failed to invoke service g2/org.a.Svc: ")
}

func TestMergerRegistry(t *testing.T) {
	require.Subset(t, MergerNames(), []string{"array", "list", "map", "set"})
	require.Panics(t, func() { RegisterMerger("list", MergerFunc(mergeSlices)) })
	require.Panics(t, func() { RegisterMerger("x", nil) })
}
