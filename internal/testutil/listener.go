package testutil

import (
	"testing"
	"time"

	"github.com/fleetrpc/fleet/common"
)

// DefaultTimeout bounds every wait for something that should happen.
const DefaultTimeout = 10 * time.Second

// ShortTimeout is how long a test waits to show something does not happen.
const ShortTimeout = 50 * time.Millisecond

// Listener records every notification it receives, in order.
type Listener struct {
	C chan []*common.URL
}

// NewListener returns a listener with room for n pending notifications.
func NewListener(n int) *Listener { return &Listener{C: make(chan []*common.URL, n)} }

// Notify implements registry.NotifyListener.
func (l *Listener) Notify(urls []*common.URL) { l.C <- urls }

// Next waits for the next notification, failing t after DefaultTimeout.
func (l *Listener) Next(t testing.TB) []*common.URL {
	t.Helper()
	select {
	case urls := <-l.C:
		return urls
	case <-time.After(DefaultTimeout):
		t.Fatalf("no notification within %v", DefaultTimeout)
		return nil
	}
}

// None fails t when a notification arrives within ShortTimeout.
func (l *Listener) None(t testing.TB) {
	t.Helper()
	select {
	case urls := <-l.C:
		t.Fatalf("unexpected notification: %v", Strings(urls))
	case <-time.After(ShortTimeout):
	}
}

// Strings renders urls with String, for assertions.
func Strings(urls []*common.URL) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = u.String()
	}
	return out
}
