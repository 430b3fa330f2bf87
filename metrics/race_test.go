//go:build race

package metrics_test

// raceEnabled: the race detector makes sync.Pool drop items, so the
// cluster's pooled call state allocates; allocation pins are skipped
// under it.
const raceEnabled = true
