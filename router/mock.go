package router

import (
	"strings"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// MockPriority is the mock router's place in a chain: first (rules.md
// §1.1).
const MockPriority = -100

// Mock returns the mock router (Java's MockInvokersSelector), a built-in of
// every chain: mock:// providers are left out of normal calls, and are the
// only candidates of a call whose attachment invocation.need.mock is true
// (the mock cluster wrapper sets it to look for them). A call carrying the
// attachment with another value keeps every provider, as in Java. It is
// immutable, Compilable (per invoker) and an Explainer.
func Mock() Router { return mockRouter{} }

type mockRouter struct{}

var (
	_ Compilable = mockRouter{}
	_ Explainer  = mockRouter{}
	_ Kinded     = mockRouter{}
)

func (mockRouter) URL() *common.URL { return nil }
func (mockRouter) Priority() int    { return MockPriority }
func (mockRouter) Kind() string     { return "mock" }
func (mockRouter) String() string {
	return "mock (mock:// providers only for invocation.need.mock=true)"
}

// mockChoice is what a call asks of the mock router.
type mockChoice int

const (
	mockNormal mockChoice = iota // no attachment: the providers that are not mock://
	mockOnly                     // invocation.need.mock=true: the mock:// providers
	mockAll                      // the attachment with another value: every provider
)

func needMock(inv protocol.Invocation) mockChoice {
	if inv == nil {
		return mockNormal
	}
	v, ok := inv.Attachment(common.NeedMockKey)
	if !ok || v == nil {
		return mockNormal
	}
	if s, _ := v.(string); strings.EqualFold(s, "true") {
		return mockOnly
	}
	return mockAll
}

func isMock(x protocol.Invoker) bool {
	u := x.URL()
	return u != nil && u.Protocol() == common.MockProtocol
}

func (m mockRouter) Route(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) ([]protocol.Invoker, error) {
	out, _, err := m.ExplainRoute(invokers, consumer, inv)
	return out, err
}

func (mockRouter) ExplainRoute(invokers []protocol.Invoker, _ *common.URL, inv protocol.Invocation) ([]protocol.Invoker, string, error) {
	choice := needMock(inv)
	if len(invokers) == 0 || choice == mockAll {
		return invokers, "invocation.need.mock is not true: every provider", nil
	}
	want := choice == mockOnly
	n := 0
	for _, x := range invokers {
		if isMock(x) == want {
			n++
		}
	}
	if n == len(invokers) {
		if want {
			return invokers, "invocation.need.mock=true: mock providers", nil
		}
		return invokers, "no mock provider", nil
	}
	out := make([]protocol.Invoker, 0, n)
	for _, x := range invokers {
		if isMock(x) == want {
			out = append(out, x)
		}
	}
	if want {
		return out, "invocation.need.mock=true: mock providers only", nil
	}
	return out, "mock providers left out", nil
}

// Compile implements Compilable: a pool of the providers that are not
// mock:// and one of those that are.
func (mockRouter) Compile(_ *common.URL, invokers []protocol.Invoker) (Compiled, error) {
	normal, mocks := NewPool(len(invokers)), NewPool(len(invokers))
	for i, x := range invokers {
		if isMock(x) {
			mocks.Add(i)
		} else {
			normal.Add(i)
		}
	}
	return Compiled{
		Outcomes: []Outcome{
			mockNormal: {Pool: normal, Force: true},
			mockOnly:   {Pool: mocks, Force: true},
			mockAll:    {All: true},
		},
		Decide:     func(inv protocol.Invocation) int { return int(needMock(inv)) },
		PerInvoker: true,
	}, nil
}
