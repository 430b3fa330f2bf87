// Package common holds fleet's model of a Dubbo URL and the parameter names
// that go with it.
//
// Dubbo describes every provider, consumer, registry, routing rule and
// override as a URL such as
//
//	dubbo://10.0.0.1:20880/org.a.Svc?interface=org.a.Svc&timeout=3000&sayHello.timeout=5000
//
// [URL] parses the decoded form ([Parse]) and the percent-encoded form that
// ZooKeeper node names use ([ParseEncoded]), renders the canonical string Java
// Dubbo renders ([URL.String], [URL.FullString]), and answers the questions the
// rest of fleet asks of it: typed and per-method parameters, service keys,
// equality, subscription matching. The rules follow Java Dubbo 2.7
// (org.apache.dubbo.common.URL, URLStrParser, UrlUtils, StringUtils) with the
// 2.7.9+/3.x equality rule, as fleet's specification reference/url.md
// restates them.
//
// A URL is immutable: nothing changes it after construction, the With*
// builders return a new value, and a *URL may be shared between goroutines
// without locking. Parameter lookups do not allocate.
//
// The package imports nothing from fleet; every other fleet package may import
// it.
package common
