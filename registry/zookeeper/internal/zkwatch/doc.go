// Package zkwatch is a small ZooKeeper client for watching: one session
// on one connection (connect, ping at a third of the session timeout, one
// reader), ZooKeeper 3.6's addWatch (a persistent recursive watch) and
// getChildren2. Notifications and replies come in the order the server
// sent them, each numbered (Event.Seq, Children.Seq): a notification
// numbered below a read's reply is already in that read.
//
// A session is never resumed: any break (connection lost, a bad frame, a
// request timing out) ends it, Done is closed and Err says why; the
// caller starts a new one and reads again. Frames are capped in size and
// every length in them is checked against what is left, so a bad server
// gives an error, never a panic or an unbounded allocation.
//
// Registration and everything else the registry does stay on
// go-zookeeper; this package holds no buffer between frames.
package zkwatch
