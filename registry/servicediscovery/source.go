package servicediscovery

import "context"

// source is where a Registry reads the topology: the service-name mapping,
// the instances of each application and the metadata report. ZooKeeper
// (zkSource) and Nacos (nacosSource) implement it; the subscriptions, the
// revision cache, the fetches and the URLs built are the Registry's, the
// same for both.
//
// A source that watches tells a subscription what changed through its
// mark methods (markAll, markMapping, markApp), which never block.
type source interface {
	// ready waits until the source can be read, up to ctx's deadline.
	ready(ctx context.Context) error
	// mapping reads the applications s.iface is mapped to, watched when
	// s.watch.
	mapping(ctx context.Context, s *subscription) ([]string, error)
	// instances brings the instances of app up to date for what d marks
	// dirty, watched when s.watch: old is what s holds (nil when it holds
	// none); an unchanged instance keeps its *Instance.
	instances(ctx context.Context, s *subscription, app string, old map[string]*Instance, d dirty) (map[string]*Instance, error)
	// release drops the watches s holds on the applications not in apps
	// (all of them when apps is nil).
	release(s *subscription, apps map[string]bool)
	// report reads the metadata report's document of app at revision
	// (storage type remote); a missing one is an error.
	report(ctx context.Context, app, revision string) ([]byte, error)
	// close ends the source's connections and goroutines.
	close()
}
