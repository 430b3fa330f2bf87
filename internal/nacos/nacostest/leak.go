package nacostest

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// LeakWait is how long VerifyTestMain waits for goroutines to end: the
// SDK's transport lets a reconnect attempt in progress finish its back-off
// (up to 5 s) after Close.
const LeakWait = 15 * time.Second

// VerifyTestMain runs the tests, then fails the run if goroutines are left
// after LeakWait (goleak.VerifyTestMain gives up after about half a
// second).
func VerifyTestMain(m *testing.M, opts ...goleak.Option) {
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(LeakWait)
		err := goleak.Find(opts...)
		for err != nil && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
			err = goleak.Find(opts...)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "goleak: errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
