//go:build tools

// Package fleetpolarisbuild records the polaris server as a requirement of
// this build module; see go.mod.
package fleetpolarisbuild

import _ "github.com/polarismesh/polaris"
