package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/convert"
	"github.com/fleetrpc/fleet/protocol"
)

var errMockExport = errors.New("cluster: mock providers are not exported")

// MockException is the business error of a mock throw <Class>: the Java
// exception class a Java consumer's mock would throw.
type MockException struct {
	Class string
}

// Error renders the class, as Java's Throwable.toString without a message.
func (e *MockException) Error() string { return e.Class }

type resultTypeKey struct{}

// WithResultType returns ctx carrying the Go type of the call's result, so
// that a mock's value is converted to it (as Java converts to the method's
// declared return type): config's proxies set it for references with a
// mock param.
func WithResultType(ctx context.Context, t reflect.Type) context.Context {
	return context.WithValue(ctx, resultTypeKey{}, t)
}

func resultType(ctx context.Context) reflect.Type {
	t, _ := ctx.Value(resultTypeKey{}).(reflect.Type)
	return t
}

// normalizeMock is Java's MockInvoker.normalizeMock: "return" alone is
// "return null"; true, default, fail and force are "default"; the fail:
// and force: prefixes go; backquotes in return and throw read as double
// quotes.
func normalizeMock(spec string) string {
	spec = strings.TrimSpace(spec)
	switch {
	case spec == "":
		return spec
	case strings.EqualFold(spec, "return"):
		return "return null"
	case strings.EqualFold(spec, "true"), strings.EqualFold(spec, "default"),
		strings.EqualFold(spec, "fail"), strings.EqualFold(spec, "force"):
		return "default"
	}
	if rest, ok := strings.CutPrefix(spec, "fail:"); ok {
		spec = strings.TrimSpace(rest)
	}
	if rest, ok := strings.CutPrefix(spec, "force:"); ok {
		spec = strings.TrimSpace(rest)
	}
	if strings.HasPrefix(spec, "return") || strings.HasPrefix(spec, "throw") {
		spec = strings.ReplaceAll(spec, "`", `"`)
	}
	return spec
}

// MockResult is the answer of the mock param of u (per method: <method>.mock,
// else mock; URL-decoded) to inv, as Java's MockInvoker gives it: return
// <value> succeeds with the value (see Mock; converted to the result type
// WithResultType put in ctx), throw fails with an RPC error ("mocked
// exception for service degradation."), throw <Class> with a business error
// carrying a *MockException; anything else (true, default, a Java mock
// class) calls fn, or fails when fn is nil. A missing mock param and a
// value that does not parse or convert are RPC errors naming the mock.
func MockResult(ctx context.Context, u *common.URL, inv protocol.Invocation, fn MockFunc) protocol.Result {
	method := protocol.RealMethodName(inv)
	fail := func(kind protocol.Kind, msg string, cause error) protocol.Result {
		return protocol.ErrorResult(protocol.NewError(kind, u.ServiceKey(), method, "", msg, cause))
	}
	raw := strings.TrimSpace(u.MethodParamOr(method, common.MockKey, ""))
	if raw == "" {
		return fail(protocol.KindUnknown, "mock can not be null. url :"+u.String(), nil)
	}
	if d, err := common.Decode(raw); err == nil {
		raw = d
	}
	spec := normalizeMock(raw)
	switch {
	case strings.HasPrefix(spec, "return"):
		text := strings.TrimSpace(strings.TrimPrefix(spec, "return"))
		v, err := parseMockValue(text, resultType(ctx))
		if err != nil {
			return fail(protocol.KindUnknown, fmt.Sprintf("mock return invoke error. method :%s, mock:%s, url: %s", method, text, u), err)
		}
		return protocol.NewResult(v, nil)
	case strings.HasPrefix(spec, "throw"):
		class := strings.TrimSpace(strings.TrimPrefix(spec, "throw"))
		if class == "" {
			return fail(protocol.KindUnknown, "mocked exception for service degradation.", nil)
		}
		return fail(protocol.KindBusiness, "", &MockException{Class: class})
	}
	if fn == nil {
		return fail(protocol.KindUnknown, fmt.Sprintf("mock %q: no Go mock function set (cluster.Mock.Func)", raw), nil)
	}
	v, err := fn(ctx, inv)
	if err != nil {
		var pe *protocol.Error
		if !errors.As(err, &pe) {
			err = protocol.NewError(protocol.KindBusiness, u.ServiceKey(), method, "", "", err)
		}
		return protocol.ErrorResult(err)
	}
	return protocol.NewResult(v, nil)
}

// parseMockValue is Java's MockInvoker.parseMockValue: empty, null, true,
// false, a quoted string, the text itself for a string result, digits as a
// number, JSON objects and arrays, else the text; then the value is
// converted to t when t is known. empty is t's empty value (an empty
// slice or map, a new struct, zero), nil without t.
func parseMockValue(text string, t reflect.Type) (any, error) {
	var v any
	switch {
	case text == "empty":
		if t == nil {
			return nil, nil
		}
		return emptyValue(t), nil
	case text == "null":
		return nil, nil
	case text == "true":
		v = true
	case text == "false":
		v = false
	case len(text) >= 2 && (text[0] == '"' && text[len(text)-1] == '"' || text[0] == '\'' && text[len(text)-1] == '\''):
		v = text[1 : len(text)-1]
	case t != nil && t.Kind() == reflect.String:
		v = text
	case isDigits(text):
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("number %s: %w", text, err)
		}
		v = n
	case strings.HasPrefix(text, "{"):
		var m map[string]any
		if err := json.Unmarshal([]byte(text), &m); err != nil {
			return nil, fmt.Errorf("json object: %w", err)
		}
		v = m
	case strings.HasPrefix(text, "["):
		var l []any
		if err := json.Unmarshal([]byte(text), &l); err != nil {
			return nil, fmt.Errorf("json array: %w", err)
		}
		v = l
	default:
		v = text
	}
	if t == nil {
		return v, nil
	}
	rv, err := convert.To(v, t)
	if err != nil {
		return nil, fmt.Errorf("convert to %s: %w", t, err)
	}
	return rv.Interface(), nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// emptyValue is Java's ReflectUtils.getEmptyObject for a Go type: an empty
// slice or map, a pointer to a new value, else the zero value.
func emptyValue(t reflect.Type) any {
	switch t.Kind() {
	case reflect.Slice:
		return reflect.MakeSlice(t, 0, 0).Interface()
	case reflect.Map:
		return reflect.MakeMap(t).Interface()
	case reflect.Pointer:
		return reflect.New(t.Elem()).Interface()
	}
	return reflect.Zero(t).Interface()
}
