package common_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
)

func TestMatchIPExpression(t *testing.T) {
	tests := []struct {
		expr string
		host string
		port int
		want bool
	}{
		// Everything.
		{"*", "192.168.1.63", 90, true},
		{"*", "::1", 90, true},
		{"*.*.*.*", "10.0.0.1", 0, true},
		{"*:20880", "10.0.0.1", 20880, true},
		{"*:20880", "10.0.0.1", 20881, false},
		// Exact, with and without port.
		{"192.168.1.63", "192.168.1.63", 90, true},
		{"192.168.1.63", "192.168.1.64", 90, false},
		{"192.168.1.63:90", "192.168.1.63", 90, true},
		{"192.168.1.63:90", "192.168.1.63", 91, false},
		{" 192.168.1.63 ", "192.168.1.63", 0, true},
		// Wildcards and ranges (Java's NetUtilsTest cases).
		{"192.168.1.*", "192.168.1.63", 90, true},
		{"192.168.1.*", "192.168.2.63", 90, false},
		{"192.168.1.1-65", "192.168.1.63", 90, true},
		{"192.168.1.1-61", "192.168.1.63", 90, false},
		{"192.168.1.62-65", "192.168.1.63", 90, true},
		{"192.168.1-3.*", "192.168.2.9", 0, true},
		{"192.168.1-3.*", "192.168.4.9", 0, false},
		{"192.168.1.1-100:90", "192.168.1.63", 90, true},
		{"192.168.1.1-100:90", "192.168.1.63", 91, false},
		{"192.168.1.*:90", "192.168.1.63", 90, true},
		{"*.*.*.*:90", "1.2.3.4", 90, true},
		{"192.168.001.*", "192.168.1.7", 0, true},
		{"0.0.0.*", "0.0.0.5", 0, true},
		// CIDR v4 and v6 (no port).
		{"192.168.1.0/26", "192.168.1.63", 90, true},
		{"192.168.1.0/26", "192.168.1.64", 90, false},
		{"10.0.0.0/8", "10.255.1.1", 0, true},
		{"2001:db8::/32", "2001:db8:85a3::8a2e:370:7334", 80, true},
		{"2001:db8::/32", "2001:db9::1", 80, false},
		{"10.0.0.0/8", "2001:db8::1", 0, false},
		// IPv6: exact, brackets with and without port, segments.
		{"fe80::1", "fe80:0:0:0:0:0:0:1", 0, true},
		{"fe80:0:0:0:0:0:0:1", "fe80::1", 0, true},
		{"[fe80::1]", "fe80::1", 80, true},
		{"[fe80::1]:80", "[fe80::1]", 80, true},
		{"[fe80::1]:80", "fe80::1", 81, false},
		{"234e:0:4567:0:0:0:3d:*", "234e:0:4567::3d:ff", 0, true},
		{"234e:0:4567:0:0:0:3d:0-ff", "234e:0:4567::3d:ff", 0, true},
		{"234e:0:4567:0:0:0:3d:0-fe", "234e:0:4567::3d:ff", 0, false},
		{"234e:0:4567:0:0:0:3d:*", "234e:0:4567::3e:1", 0, false},
		{"[234e:0:4567:0:0:0:3d:*]:90", "234e:0:4567::3d:1", 90, true},
		// The other family never matches.
		{"192.168.1.*", "::ffff:c0a8:0101", 0, true}, // an IPv4-mapped IPv6 address is its IPv4 address
		{"192.168.1.*", "fe80::1", 0, false},
		{"234e:0:4567:0:0:0:3d:*", "192.168.1.1", 0, false},
		// Host names are matched literally.
		{"provider-a.example.com", "PROVIDER-A.example.com", 0, true},
		{"provider-a.example.com:20880", "provider-a.example.com", 20881, false},
		{"192.168.1.*", "provider-a", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.expr+"/"+tt.host, func(t *testing.T) {
			got, err := common.MatchIPExpression(tt.expr, tt.host, tt.port)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseIPExpressionErrors(t *testing.T) {
	for _, expr := range []string{
		"",
		"  ",
		"192.168.1",         // three segments
		"192.168.1.*.*",     // five
		"192.168.1.1-",      // open range
		"192.168.1.1-2-3",   // two dashes
		"192.168.1.300",     // out of range, no wildcard
		"192.168.1.1-300",   // out of range
		"192.168.1.*:http",  // port not a number
		"192.168.1.*:0",     // port 0
		"10.0.0.0/33",       // prefix too long
		"10.0.0.0/8:80",     // CIDR with a port
		"234e:0:4567::3d:*", // compressed IPv6 with a wildcard
		"234e:0:4567:0:0:0:3d:fffff",
		"*.example.com",
	} {
		t.Run(expr, func(t *testing.T) {
			_, err := common.ParseIPExpression(expr)
			require.Error(t, err)
			require.Contains(t, err.Error(), "ip expression")
			_, err = common.MatchIPExpression(expr, "10.0.0.1", 80)
			require.Error(t, err)
		})
	}
}

func TestIPExpressionMatchDoesNotAllocate(t *testing.T) {
	e, err := common.ParseIPExpression("192.168.1.1-100:20880")
	require.NoError(t, err)
	require.Equal(t, "192.168.1.1-100:20880", e.String())
	require.Zero(t, testing.AllocsPerRun(100, func() { e.Match("192.168.1.50", 20880) }))
}
