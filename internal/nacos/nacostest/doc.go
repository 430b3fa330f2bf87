// Package nacostest holds what tests of fleet's Nacos clients share: the
// address of the Nacos-protocol server the tests use (FLEET_NACOS), and a
// polaris server process of a test's own (FLEET_POLARIS_BIN) for tests that
// stop or restart the server. Only tests import it.
package nacostest
