package migration

import "fmt"

// Step is where a reference finds its providers.
type Step string

// The steps, spelled as Java's MigrationStep.
const (
	ForceInterface   Step = "FORCE_INTERFACE"
	ApplicationFirst Step = "APPLICATION_FIRST"
	ForceApplication Step = "FORCE_APPLICATION"
)

// DefaultStep is the step of a reference that nothing configures: Java
// Dubbo 3's default (MigrationRule.getStep falls back to
// APPLICATION_FIRST).
const DefaultStep = ApplicationFirst

// ParseStep reads a step as Java spells it (FORCE_INTERFACE,
// APPLICATION_FIRST, FORCE_APPLICATION).
func ParseStep(s string) (Step, error) {
	switch st := Step(s); st {
	case ForceInterface, ApplicationFirst, ForceApplication:
		return st, nil
	}
	return "", fmt.Errorf("migration: unknown step %q (%s)", s, stepNames)
}

// stepNames lists the steps for errors.
const stepNames = "FORCE_INTERFACE, APPLICATION_FIRST or FORCE_APPLICATION"

// String returns the step's name.
func (s Step) String() string { return string(s) }

// UsesInterface reports whether the step refers interface-level providers.
func (s Step) UsesInterface() bool { return s != ForceApplication }

// UsesApplication reports whether the step refers application-level providers.
func (s Step) UsesApplication() bool { return s != ForceInterface }
