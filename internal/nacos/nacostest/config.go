package nacostest

import _ "embed" // the polaris configuration

// configTemplate is polaris.yaml: the configuration of a polaris server
// for the tests (.ci/run uses the same file).
//
//go:embed polaris.yaml
var configTemplate string
