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
