// Package tag is Dubbo's tag router: it sends a call carrying a tag
// (attachment dubbo.tag, else the reference's dubbo.tag parameter, as the
// reference's tag setting writes it) to the providers with that tag, for
// gray releases and per-environment isolation (rules.md §2 in the shared
// reference; Java's TagRouter of 2.7 and TagStateRouter of 3.x).
//
// Static tags are the providers' dubbo.tag parameter. A tagged call reaches
// the providers with its tag; when there are none it falls back to the
// untagged providers, unless dubbo.force.tag is true (attachment, else the
// consumer's parameter), which leaves it with none. An untagged call only
// reaches untagged providers.
//
// A dynamic rule ([Rule], YAML configVersion v2.7 or v3.0, read from the
// config-center key <provider application>.tag-router, [RuleKey]) gives
// tags to providers by address ([common.IPExpression]) or, in Dubbo 3, by
// their parameters (match); a rule's address wins over a provider's static
// tag. [ParseRule] or [FromYAML] reads a rule; a malformed one is an error
// naming what is wrong, and the caller keeps the router it had.
//
// # Installing a rule
//
// Every chain holds one tag router: registry/protocol gives each directory
// [Static]. A config center installs the rule of the directory's provider
// application ([ProviderApplication]) by handing [FromYAML]'s router to the
// directory with its other dynamic routers
// (directory.RegistryDirectory.SetDynamicRouters): a tag router there takes
// the static one's place (router.Kinded). Installing again replaces it;
// leaving it out of the next set clears it.
//
// A [Router] is immutable and implements router.Compilable: a chain
// compiles it once per snapshot into a pool per known tag, so a routed
// call reads two attachments, looks the tag up in a map and takes the
// cached result, without allocating.
//
// Choices where Java leaves room: a rule with no tags, a duplicate tag
// name or an address that is not an IP expression is rejected (Java
// installs an invalid rule, which routes by static tags); a Dubbo 3 tag
// with match but no addresses holds each provider whose parameters match,
// and counts as having addresses even when none matches, so Compile and
// Route agree on any sub-list of a snapshot.
package tag
