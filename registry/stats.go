package registry

// Stats is a registry client's state, read when asked (by metrics at scrape
// time, by tools): plain numbers, no metrics library.
type Stats struct {
	// Session is true for a client that keeps a session with the registry
	// (ZooKeeper): Connected and SessionExpiries are then what it reports.
	Session bool
	// Connected is true while a session is up.
	Connected bool
	// SessionExpiries counts the sessions lost and replaced by a new one
	// since the client opened.
	SessionExpiries uint64
	// Pending counts the failed operations waiting for a retry (the
	// FailbackRegistry's queue).
	Pending int
}

// StatsReporter is implemented by registries that report Stats.
type StatsReporter interface {
	Stats() Stats
}

// ReadStats returns r's Stats; ok is false when r reports none.
func ReadStats(r Registry) (s Stats, ok bool) {
	sr, ok := r.(StatsReporter)
	if !ok {
		return Stats{}, false
	}
	return sr.Stats(), true
}

// Stats implements StatsReporter: the inner registry's Stats, when it
// reports them, with Pending the operations waiting for a retry.
func (f *FailbackRegistry) Stats() Stats {
	s, _ := ReadStats(f.inner)
	s.Pending = f.Pending()
	return s
}
