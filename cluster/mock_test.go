package cluster

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

type mockUser struct {
	Name string
	Age  int32
}

func TestParseMockValue(t *testing.T) {
	str, i64, i32 := reflect.TypeOf(""), reflect.TypeOf(int64(0)), reflect.TypeOf(int32(0))
	tests := []struct {
		text string
		t    reflect.Type
		want any
	}{
		{"null", nil, nil},
		{"true", nil, true},
		{"false", reflect.TypeOf(false), false},
		{`"quoted"`, nil, "quoted"},
		{`'single'`, str, "single"},
		{"123", nil, int64(123)},
		{"123", str, "123"}, // a string result takes the text
		{"123", i32, int32(123)},
		{"plain text", nil, "plain text"},
		{`{"name":"bob","age":7}`, nil, map[string]any{"name": "bob", "age": float64(7)}},
		{`{"name":"bob","age":7}`, reflect.TypeOf(mockUser{}), mockUser{Name: "bob", Age: 7}},
		{`{"name":"bob"}`, reflect.TypeOf(&mockUser{}), &mockUser{Name: "bob"}},
		{`[1,2,3]`, reflect.TypeOf([]int64{}), []int64{1, 2, 3}},
		{`[1,2]`, nil, []any{float64(1), float64(2)}},
		{"empty", reflect.TypeOf([]string{}), []string{}},
		{"empty", reflect.TypeOf(map[string]int{}), map[string]int{}},
		{"empty", reflect.TypeOf(&mockUser{}), &mockUser{}},
		{"empty", i64, int64(0)},
		{"empty", str, ""},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.text+"/"+typeName(tt.t), func(t *testing.T) {
			got, err := parseMockValue(tt.text, tt.t)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	for _, bad := range []struct {
		text string
		t    reflect.Type
	}{{"{nope", nil}, {"[1,", nil}, {"abc", i64}, {"99999999999999999999", nil}, {`{"name":1}`, reflect.TypeOf(mockUser{})}} {
		_, err := parseMockValue(bad.text, bad.t)
		require.Error(t, err, bad.text)
	}
}

func typeName(t reflect.Type) string {
	if t == nil {
		return "untyped"
	}
	return t.String()
}

func TestNormalizeMock(t *testing.T) {
	for in, want := range map[string]string{
		"return":                  "return null",
		" Return ":                "return null",
		"true":                    "default",
		"DEFAULT":                 "default",
		"fail":                    "default",
		"force":                   "default",
		"fail:return 1":           "return 1",
		"force:return  x":         "return  x",
		"force: throw":            "throw",
		"return `a`":              `return "a"`,
		"throw com.foo.Exception": "throw com.foo.Exception",
		"com.foo.BarServiceMock":  "com.foo.BarServiceMock",
	} {
		require.Equal(t, want, normalizeMock(in), in)
	}
}

func TestMockResult(t *testing.T) {
	ctx := context.Background()
	inv := protocol.NewInvocation("sayHello", "x")
	url := func(q string) *common.URL {
		return common.MustParse("consumer://1.1.1.1/org.a.Svc?interface=org.a.Svc&" + q)
	}

	res := MockResult(ctx, url("mock=force%3Areturn+%22hi%22"), inv, nil)
	require.NoError(t, res.Error())
	require.Equal(t, "hi", res.Value(), "the mock param is URL-decoded")

	res = MockResult(ctx, url("mock=return+1&sayHello.mock=return+2"), inv, nil)
	require.Equal(t, int64(2), res.Value(), "the method's mock wins")

	res = MockResult(WithResultType(ctx, reflect.TypeOf(int32(0))), url("mock=return 5"), inv, nil)
	require.Equal(t, int32(5), res.Value(), "converted to the result type")

	res = MockResult(ctx, url("mock=throw"), inv, nil)
	require.ErrorContains(t, res.Error(), "mocked exception for service degradation.")
	require.False(t, protocol.IsBusiness(res.Error()))

	res = MockResult(ctx, url("mock=throw com.foo.DegradedException"), inv, nil)
	require.True(t, protocol.IsBusiness(res.Error()))
	var me *MockException
	require.ErrorAs(t, res.Error(), &me)
	require.Equal(t, "com.foo.DegradedException", me.Class)

	res = MockResult(ctx, url("mock=true"), inv, nil)
	require.ErrorContains(t, res.Error(), "no Go mock function set")
	res = MockResult(ctx, url("mock=true"), inv, func(context.Context, protocol.Invocation) (any, error) { return "from go", nil })
	require.Equal(t, "from go", res.Value())
	res = MockResult(ctx, url("mock=force"), inv, func(context.Context, protocol.Invocation) (any, error) { return nil, errors.New("no") })
	require.True(t, protocol.IsBusiness(res.Error()), "a Go mock's plain error is a business error")

	res = MockResult(ctx, url("x=1"), inv, nil)
	require.ErrorContains(t, res.Error(), "mock can not be null")
	res = MockResult(ctx, url("mock=return {bad"), inv, nil)
	require.ErrorContains(t, res.Error(), "mock return invoke error. method :sayHello, mock:{bad")
}

func TestMockCluster(t *testing.T) {
	ctx := context.Background()
	inv := protocol.NewInvocation("sayHello", "x")
	joinMock := func(params string, ps []protocol.Invoker, fn MockFunc) protocol.Invoker {
		m := &Mock{Cluster: &Failover{LoadBalance: inOrder{}, Stats: loadbalance.NewStats()}, Func: fn}
		return m.Join(directory.NewStatic(consumer(params), ps))
	}
	good := providers(nil)
	down := providers([]protocol.Kind{protocol.KindNetwork, protocol.KindNetwork, protocol.KindNetwork})
	biz := providers([]protocol.Kind{protocol.KindBusiness})

	// No mock: the strategy, untouched.
	res := joinMock("", asInvokers(good), nil).Invoke(ctx, inv)
	require.NoError(t, res.Error())
	require.EqualValues(t, 1, good[0].calls.Load())

	// force: the provider is not called.
	res = joinMock("&mock=force:return+forced", asInvokers(good), nil).Invoke(ctx, inv)
	require.Equal(t, "forced", res.Value())
	require.EqualValues(t, 1, good[0].calls.Load())

	// fail: only on an RPC failure, never on a business error.
	res = joinMock("&mock=fail:return+fallback", asInvokers(good), nil).Invoke(ctx, inv)
	require.NoError(t, res.Error())
	require.NotEqual(t, "fallback", res.Value())
	res = joinMock("&mock=fail:return+fallback", asInvokers(down), nil).Invoke(ctx, inv)
	require.NoError(t, res.Error())
	require.Equal(t, "fallback", res.Value())
	res = joinMock("&mock=return+fallback", asInvokers(biz), nil).Invoke(ctx, inv)
	require.True(t, protocol.IsBusiness(res.Error()), "a business error is not mocked")

	// A failing mock names both errors.
	down = providers([]protocol.Kind{protocol.KindNetwork, protocol.KindNetwork, protocol.KindNetwork})
	res = joinMock("&mock=throw", asInvokers(down), nil).Invoke(ctx, inv)
	require.ErrorContains(t, res.Error(), "mock error : ")
	require.ErrorContains(t, res.Error(), "mocked exception for service degradation.")
	require.ErrorContains(t, res.Error(), ", invoke error is :")

	// A mock:// provider in the directory answers, with its own URL.
	mockProvider, err := MockProtocol{}.Refer(common.MustParse("mock://10.0.0.9/org.a.Svc?sayHello.mock=return+%22from+the+mock+provider%22"))
	require.NoError(t, err)
	res = joinMock("&mock=force:return+local", append(asInvokers(good), mockProvider), nil).Invoke(ctx, inv)
	require.Equal(t, "from the mock provider", res.Value())

	// The wrapper keeps the strategy visible to Outliers.
	require.Nil(t, Outliers(joinMock("", asInvokers(good), nil)))
	_, isBase := joinMock("", asInvokers(good), nil).(interface{ baseOf() *base })
	require.True(t, isBase)
}
