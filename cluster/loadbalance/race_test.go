//go:build race

package loadbalance

// raceEnabled: the race detector makes sync.Pool drop items and slows
// everything down; allocation pins are skipped under it.
const raceEnabled = true
