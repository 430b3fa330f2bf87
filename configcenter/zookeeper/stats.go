package zookeeper

// Connected reports whether a session with ZooKeeper is up now, for
// metrics at scrape time and tools.
func (c *Center) Connected() bool {
	up, _ := c.session()
	select {
	case <-up:
		return true
	default:
		return false
	}
}

// SessionExpiries is the number of sessions the center lost: those
// ZooKeeper expired, and those it replaced after having none for longer
// than the session timeout.
func (c *Center) SessionExpiries() uint64 { return c.expiries.Load() }
