package migration

// Consumer URL params (Java's registry Constants), read when the rule does
// not set the value.
const (
	StepKey      = "migration.step"      // the reference's step
	ThresholdKey = "migration.threshold" // the reference's threshold
	PromotionKey = "migration.promotion" // the reference's proportion, percent
	DelayKey     = "migration.delay"     // the reference's delay, seconds
	ForceKey     = "migration.force"     // the reference's force
)

// ApplicationStepKey is Java's application-wide default step
// (dubbo.application.service-discovery.migration); config writes it into
// the migration.step param of references that set none.
const ApplicationStepKey = "dubbo.application.service-discovery.migration"

// Where the rule lives in a config center: key <application>RuleSuffix in
// group RuleGroup.
const (
	RuleSuffix = ".migration"
	RuleGroup  = "DUBBO_SERVICEDISCOVERY_MIGRATION"
)

// RuleKey is the config-center key of an application's rule.
func RuleKey(application string) string { return application + RuleSuffix }

// Defaults of the values a rule and params leave unset.
const (
	DefaultThreshold  = 0.0 // Java's DefaultMigrationAddressComparator: any application-level provider wins
	DefaultProportion = 100 // every call goes to the preferred side
)
