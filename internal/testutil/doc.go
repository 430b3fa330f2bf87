// Package testutil holds helpers shared by fleet's tests: a recording
// NotifyListener and channel waits with a default timeout. Only tests
// import it; it imports common.
package testutil
