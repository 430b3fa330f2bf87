package migration

// ShouldMigrate reports whether calls should go to the target side of a
// migration, given how many providers the target side (application-level,
// when moving towards it) and the current side hold: Java's
// DefaultMigrationAddressComparator. A target with no provider never wins;
// a current side with none always loses to a target with some; otherwise
// the target wins when target/current reaches threshold (DefaultThreshold
// 0: any provider on the target side suffices).
func ShouldMigrate(target, current int, threshold float64) bool {
	if target <= 0 {
		return false
	}
	if current <= 0 {
		return true
	}
	if threshold < 0 {
		threshold = DefaultThreshold
	}
	return float64(target)/float64(current) >= threshold
}
