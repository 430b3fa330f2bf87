// Package zktest is what tests need around ZooKeeper: Addr, the server
// the tests share (FLEET_ZK); Server, a ZooKeeper process of a test's own
// from Debian's package, to stop and restart; Gate, a dialer for
// go-zookeeper that cuts its client off the server and sees the session
// the server hands out; and Expire, which ends a session as the server
// does when it times out.
package zktest
