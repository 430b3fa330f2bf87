// Package zookeeper is fleet's ZooKeeper registry: the interface-level
// layout Java Dubbo and dubbo-go share, so fleet consumers and providers
// live in the same ensemble as theirs.
//
// The tree is /{root}/{Encode(interface)}/{category}/{Encode(url.FullString())},
// root "dubbo" unless the registry URL's group says otherwise. Provider and
// consumer nodes are ephemeral, persistent when the URL has dynamic=false;
// parents are created persistent as needed. Every node carries the client's
// IP address as text, as Java Dubbo's Curator client writes it.
//
// Subscribe notifies the full list of each subscribed category (an empty
// category as one empty:// URL). By default the category paths are watched
// by a second session of the registry's own (internal/zkwatch) with
// persistent recursive watches (ZooKeeper 3.6+ addWatch), added before the
// path is read on that session: a child created or deleted after the read
// arrives as one event and is applied to the cached list, and a break of
// that session starts a new one that reads every list again. With
// persistent.watch=false, or a server that refuses addWatch, a child watch
// is re-armed with every read instead; either way no change is lost. A
// list is ordered by the URLs themselves (protocol,
// host, port, path, user info, parameters), the same in every process
// whatever order ZooKeeper returned the children in. When the session expires, the registry re-creates
// what it registered, re-subscribes and notifies the current lists; while
// the connection is down, listeners keep their last lists. A registry
// without a session for longer than the session timeout, whose ensemble
// takes connections but does not give the session back (a server that came
// back with no data, or older data, refuses a client that saw later
// transactions), starts a new client and session, as Curator does, and
// recovers as after an expiry; a server that is only down keeps the client,
// so its session comes back with the server's data.
//
// The "zookeeper" scheme opens a Registry wrapped in registry.NewFailback,
// which retries failed operations and keeps the disk snapshot. New returns
// the bare Registry.
package zookeeper
