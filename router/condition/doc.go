// Package condition is Dubbo's condition router: rules of the form
// "when => then" that send the calls of matching consumers to matching
// providers ("host = 10.20.153.* => host = 10.20.153.11").
//
// Rules come from route:// and condition:// URLs in the registry's routers
// category (see [New]; registered as router type "condition") and from Dubbo
// 2.7/3.0 YAML condition rules ([ParseYAML], [NewRuleSet]), and from the
// from/to conditions of configVersion v3.1 rules ([MultiDest]: a weighted
// random choice among destination subsets, per call, as Java 3.3's
// MultiDestConditionRouter). The semantics
// follow Java Dubbo 2.7's ConditionRouter, including its quirks; the
// specification is rules.md §1 in the shared reference.
//
// Choices where Java leaves room: a generic call ($invoke) is matched by
// the method and the arguments it carries ([protocol.RealMethodName],
// [protocol.RealArguments]); an argument is matched by the text Java's
// String.valueOf would give its value ("null", "1.0", "true"). A key that
// is absent from the URL passes when it has only != values (2.7; 3.x
// fails it).
//
// A [Router] implements [router.Compilable], so a [router.Chain] evaluates
// a rule once per snapshot into a pool of providers; only a rule whose
// "when" side reads the call (method, arguments[N]) is looked at per call,
// and then only that side.
package condition
