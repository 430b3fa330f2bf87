// Package migration is Dubbo 3's migration between interface-level and
// application-level discovery, consumer side: the steps, the rule an
// operator writes in a config center, and how a reference's step,
// threshold, proportion, delay and force are resolved from the rule, the
// reference's URL params and the defaults, as Java Dubbo 3's MigrationRule,
// MigrationRuleHandler and DefaultMigrationAddressComparator do.
//
// The steps:
//
//   - FORCE_INTERFACE: interface-level discovery only (the providers under
//     /dubbo/<interface>/providers);
//   - APPLICATION_FIRST (Java's default): both; calls go to the
//     application-level providers when there are some and their count
//     passes the threshold (ShouldMigrate), else to the interface-level
//     ones; decided again whenever either side's providers change;
//   - FORCE_APPLICATION: application-level discovery only.
//
// The rule lives in the config center under the key <consumer
// application>.migration, group DUBBO_SERVICEDISCOVERY_MIGRATION (Java's
// key and group), as YAML:
//
//	key: demo-consumer
//	step: APPLICATION_FIRST
//	threshold: 0.5
//	proportion: 100
//	delay: 0
//	force: false
//	interfaces:
//	  - serviceKey: org.apache.dubbo.demo.DemoService:1.0.0
//	    step: FORCE_APPLICATION
//	applications:
//	  - serviceKey: demo-provider
//	    step: FORCE_INTERFACE
//
// The package holds values and pure functions; registry/protocol applies
// them to references.
package migration
