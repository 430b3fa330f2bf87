package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/admin"
	"github.com/fleetrpc/fleet/config"
)

func TestPrintListingShowsOutliers(t *testing.T) {
	var b bytes.Buffer
	printListing(&b, admin.Listing{References: []admin.ReferenceState{{
		Name: "Greeter", ServiceKey: "org.example.Greeter", Available: true,
		Providers: []config.ProviderState{
			{Address: "10.0.0.1:20880", Available: true, Outlier: "ejected"},
			{Address: "10.0.0.2:20880", Available: true},
		},
	}}})
	require.Regexp(t, `10\.0\.0\.1:20880\s+available, ejected \(outlier\)\n`, b.String())
	require.Regexp(t, `10\.0\.0\.2:20880\s+available\n`, b.String())
}
