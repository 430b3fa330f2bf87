package condition_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
	"github.com/fleetrpc/fleet/router/condition"
)

// FuzzParseRule: the parser never panics; a rule that parses keeps its
// text and routes the same directly and through a compiled chain; a
// syntax error points at its separator in its side, as Java reports it.
func FuzzParseRule(f *testing.F) {
	for _, s := range []string{
		"host = 1.1.1.1 => host = 10.20.3.*",
		"host = 2.2.2.2,1.1.1.* & host != 1.1.1.1 => host = 1.2.3.4",
		"methods=getFoo => host=1.2.3.4",
		"method!=sayHello => address=30.5.120.16:20880",
		"method=routeMethod1 =>",
		"=> host = $host",
		"consumer.application = foo & arguments[0] = a => provider.env != gray,blue",
		"host == 1.2.3.4", "= a", "a ,b", "a = b &&c", "应用 == x", "true => false", "=> ,",
		"arguments[1].x = 3 => port = 20880", "host = 1.1.1.1 host = 2 => env", "a=1 => b=2 => c=3",
		"", " ", "\x00=",
	} {
		f.Add(s)
	}
	consumer := common.MustParse("consumer://1.1.1.1/com.foo.BarService?application=foo&env=gray&methods=getFoo")
	list := []protocol.Invoker{
		&stub{url: common.MustParse("dubbo://10.20.3.3:20880/com.foo.BarService?env=gray&application=bar")},
		&stub{url: common.MustParse("dubbo://1.2.3.4:20881/com.foo.BarService?env=prod&methods=getFoo,setFoo")},
		&stub{url: common.MustParse("dubbo://1.1.1.1:20880/com.foo.BarService")},
	}
	calls := []protocol.Invocation{nil, protocol.NewInvocation("getFoo", "a", 3), protocol.NewInvocation("setFoo")}
	f.Fuzz(func(t *testing.T, rule string) {
		r, err := condition.ParseRule(rule)
		if err != nil {
			var se *condition.SyntaxError
			switch {
			case errors.Is(err, condition.ErrBlankRule):
			case errors.As(err, &se):
				checkSyntaxError(t, rule, se)
			default:
				t.Fatalf("ParseRule(%q): unexpected error %v", rule, err)
			}
			return
		}
		if r.String() != rule {
			t.Fatalf("String() = %q, want %q", r.String(), rule)
		}
		for _, force := range []bool{false, true} {
			cr := condition.NewRouter(r, condition.Settings{Force: force})
			chain := router.NewChain([]router.Router{cr}, list, consumer, nil)
			for _, inv := range calls {
				direct, err := cr.Route(list, consumer, inv)
				if err != nil {
					t.Fatal(err)
				}
				if got := chain.Route(list, inv); !sameList(got, direct) {
					t.Fatalf("rule %q force=%v: chain routed %d, router %d", rule, force, len(got), len(direct))
				}
			}
		}
	})
}

func checkSyntaxError(t *testing.T, rule string, se *condition.SyntaxError) {
	t.Helper()
	if se.Rule != rule {
		t.Fatalf("Rule = %q, want %q", se.Rule, rule)
	}
	stripped := strings.ReplaceAll(strings.ReplaceAll(rule, "consumer.", ""), "provider.", "")
	if !strings.Contains(stripped, se.Side) {
		t.Fatalf("side %q is not in rule %q", se.Side, stripped)
	}
	if se.Separator == "" || se.Separator == "&" || se.Content == "" {
		t.Fatalf("%q: separator %q before %q is not an error", rule, se.Separator, se.Content)
	}
	if !utf8.ValidString(se.Side) {
		return // no Java string has these bytes; the index counts each as one unit
	}
	// Index is in UTF-16 units: the separator and the token start there.
	units := utf16.Encode([]rune(se.Side))
	if se.Index < 0 || se.Index >= len(units) {
		t.Fatalf("%q: index %d out of side %q", rule, se.Index, se.Side)
	}
	at := string(utf16.Decode(units[se.Index:]))
	if !strings.HasPrefix(at, se.Separator) {
		t.Fatalf("%q: %q at index %d does not start with %q", rule, se.Side, se.Index, se.Separator)
	}
	if !strings.Contains(at, se.Content) {
		t.Fatalf("%q: content %q not after index %d", rule, se.Content, se.Index)
	}
	if !strings.Contains(se.Error(), se.Side) {
		t.Fatalf("error %q does not name the side", se.Error())
	}
}

func sameList(a, b []protocol.Invoker) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzParseYAML: YAML rules never panic, and a rule that parses builds a
// rule set whose conditions all parse on their own.
func FuzzParseYAML(f *testing.F) {
	f.Add([]byte("configVersion: v2.7\nscope: service\nkey: k\nforce: true\nconditions:\n  - method!=sayHello => address=30.5.120.16:20880\n  - method=routeMethod1 =>\n"))
	f.Add([]byte("conditions: [1, null, true]"))
	f.Add([]byte("priority: x\nconditions: ['=> a=b']"))
	f.Add([]byte("configVersion: v3.1\nconditions:\n  - from: {match: region=bj}\n    to: [{match: env=gray, weight: 900}, {match: ''}]\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		r, err := condition.ParseYAML(content)
		if err != nil {
			return
		}
		set := condition.NewRuleSet(r, condition.ServicePriority)
		n := len(r.Conditions) + len(r.MultiDest)
		if len(set.Members()) != n || n == 0 {
			t.Fatalf("%d members for %d conditions", len(set.Members()), n)
		}
		for _, c := range r.Conditions {
			if _, err := condition.ParseRule(c.String()); err != nil {
				t.Fatalf("condition %q: %v", c, err)
			}
		}
	})
}
