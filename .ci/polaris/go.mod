// The polaris server (a Nacos-protocol server) that .ci/run builds for the
// Nacos tests. .ci/run copies this file, tools.go and the patches (*.patch)
// into a directory of its own outside the repository and, there, tidies,
// copies polaris' source out of the module cache, applies the patches (a
// deadlock fix and a cache fix, see .ci/run), replaces the module with the
// patched copy and builds github.com/polarismesh/polaris.
// Its go.sum is never committed, and fleet's go.mod never requires polaris.
module fleetpolarisbuild

go 1.24

require github.com/polarismesh/polaris v1.18.1

// Copied from polaris' own go.mod: it does not build with a newer yaml.v2.
replace gopkg.in/yaml.v2 => gopkg.in/yaml.v2 v2.2.2
