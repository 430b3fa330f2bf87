package cluster

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// fixed always picks the invoker at index i of what it is given, or the
// last when shorter.
type fixed int

func (f fixed) Select(list []protocol.Invoker, _ *common.URL, _ protocol.Invocation) protocol.Invoker {
	if len(list) == 0 {
		return nil
	}
	return list[min(int(f), len(list)-1)]
}

func testBase(params string, ps []*scripted) *base {
	return newBase(directory.NewStatic(consumer(params), asInvokers(ps)), nil, loadbalance.NewStats(), nil, "test")
}

func TestSelect(t *testing.T) {
	ps := providers(nil, nil, nil)
	list := asInvokers(ps)
	inv := protocol.NewInvocation("m")
	tests := []struct {
		name     string
		params   string
		lb       fixed
		down     []int
		selected []int
		want     int
	}{
		{"the balancer's pick", "", 1, nil, nil, 1},
		{"a tried pick is reselected among the others", "", 0, nil, []int{0}, 1},
		{"an unavailable pick is reselected", "", 0, []int{0}, nil, 1},
		{"availablecheck off keeps an unavailable pick", "&cluster.availablecheck=false", 0, []int{0}, nil, 0},
		{"reselect skips unavailable ones", "", 0, []int{1}, []int{0}, 2},
		{"all tried: the available tried ones", "", 2, []int{0}, []int{0, 1, 2}, 2},
		{"nothing left: the candidate after the pick", "", 2, []int{0, 1, 2}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range ps {
				p.down.Store(false)
			}
			for _, i := range tt.down {
				ps[i].down.Store(true)
			}
			var selected []protocol.Invoker
			for _, i := range tt.selected {
				selected = append(selected, list[i])
			}
			c := testBase(tt.params, ps)
			require.Equal(t, list[tt.want], c.selectInvoker(tt.lb, inv, list, selected))
		})
	}
	c := testBase("", ps)
	require.Nil(t, c.selectInvoker(fixed(0), inv, nil, nil))
	ps[0].down.Store(true)
	require.Equal(t, list[0], c.selectInvoker(fixed(0), inv, list[:1], nil), "one candidate is taken even unavailable")
}

func TestSticky(t *testing.T) {
	ps := make([]*scripted, 3)
	for i := range ps {
		ps[i] = providers(nil)[0]
		ps[i].url = common.MustParse("dubbo://10.0.0." + string(rune('1'+i)) + ":20880/org.a.Svc?sticky=true")
	}
	list := asInvokers(ps)
	inv := protocol.NewInvocation("m")
	c := testBase("", ps)
	require.Equal(t, list[1], c.selectInvoker(fixed(1), inv, list, nil))
	require.Equal(t, list[1], c.selectInvoker(fixed(2), inv, list, nil), "kept while available")
	require.Equal(t, list[1], c.selectInvoker(fixed(0), protocol.NewInvocation("other"), list, nil), "one sticky invoker per cluster invoker, not per method")
	require.True(t, c.IsAvailable())
	ps[1].down.Store(true)
	require.False(t, c.IsAvailable(), "the sticky invoker's availability")
	require.Equal(t, list[2], c.selectInvoker(fixed(2), inv, list, nil), "an unavailable sticky invoker is replaced")
	require.Equal(t, list[0], c.selectInvoker(fixed(0), inv, list, []protocol.Invoker{list[2]}), "not when already tried")
	require.Equal(t, list[0], c.selectInvoker(fixed(2), inv, list, nil))
	// Leaving the candidates forgets it.
	require.Equal(t, list[2], c.selectInvoker(fixed(2), inv, list[1:], nil))
	require.Equal(t, list[2], c.sticky.get())

	// Without the sticky param nothing is held.
	plainPs := providers(nil, nil)
	c = testBase("", plainPs)
	c.selectInvoker(fixed(0), inv, asInvokers(plainPs), nil)
	require.Nil(t, c.sticky.get())
	require.Equal(t, asInvokers(plainPs)[1], c.selectInvoker(fixed(1), inv, asInvokers(plainPs), nil))
}

func TestSelectDoesNotAllocate(t *testing.T) {
	ps := providers(nil, nil, nil)
	c := testBase("", ps)
	list := asInvokers(ps)
	inv := protocol.NewInvocation("m")
	lb := &loadbalance.Random{}
	c.selectInvoker(lb, inv, list, nil)
	require.Zero(t, testing.AllocsPerRun(100, func() { c.selectInvoker(lb, inv, list, nil) }))
	tried := list[:1]
	require.Zero(t, testing.AllocsPerRun(100, func() { c.selectInvoker(fixed(1), inv, list, tried) }), "no reselect needed")
}

// TestSelectorForOtherStrategies: the exported Selector and Reselect,
// as a strategy written outside the package uses them.
func TestSelectorForOtherStrategies(t *testing.T) {
	ps := providers(nil, nil, nil)
	for i, p := range ps {
		p.url = common.MustParse("dubbo://10.0.0." + string(rune('1'+i)) + ":20880/org.a.Svc?sticky=true")
	}
	list := asInvokers(ps)
	inv := protocol.NewInvocation("m")
	s := NewSelector(directory.NewStatic(consumer(""), list))
	require.Nil(t, s.Select(fixed(0), inv, nil, nil))
	require.Equal(t, list[1], s.Select(fixed(1), inv, list, nil))
	require.Equal(t, list[1], s.Sticky())
	require.Equal(t, list[1], s.Select(fixed(2), inv, list, nil), "sticky")
	require.Equal(t, list[2], s.Select(fixed(1), inv, list, list[1:2]), "tried: reselected among the others")

	ps[0].down.Store(true)
	c := consumer("")
	require.Equal(t, list[1], Reselect(fixed(0), c, inv, list, list[2:], true), "available and not tried")
	require.Equal(t, list[0], Reselect(fixed(0), c, inv, list, list[1:], false), "availability not checked")
	require.Equal(t, list[2], Reselect(fixed(5), c, inv, list, list, true), "all tried: the available tried ones")
	for _, p := range ps {
		p.down.Store(true)
	}
	require.Nil(t, Reselect(fixed(0), c, inv, list, list, true))

	off := NewSelector(directory.NewStatic(consumer("&cluster.availablecheck=false"), list))
	require.Equal(t, list[0], off.Select(fixed(0), protocol.NewInvocation("n"), list, nil), "availablecheck off keeps an unavailable pick")
}
