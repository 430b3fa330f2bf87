// Package condition is Dubbo's condition router: rules of the form
// "when => then" that send the calls of matching consumers to matching
// providers ("host = 10.20.153.* => host = 10.20.153.11").
//
// Rules come from route:// and condition:// URLs in the registry's routers
// category (see [New]; registered as router type "condition") and from Dubbo
// 2.7/3.0 YAML condition rules ([ParseYAML], [NewRuleSet]). The semantics
// follow Java Dubbo 2.7's ConditionRouter, including its quirks; the
// specification is rules.md §1 in the shared reference.
//
// A [Router] implements [router.Compilable], so a [router.Chain] evaluates
// a rule once per snapshot into a pool of providers; only a rule whose
// "when" side reads the call (method, arguments[N]) is looked at per call,
// and then only that side.
package condition
