// Package zktest puts a ZooKeeper client in trouble, for tests and the
// chaos suite's programs: Gate, a dialer for go-zookeeper that cuts its
// client off the server and sees the session the server hands out, and
// Expire, which ends a session as the server does when it times out.
package zktest
