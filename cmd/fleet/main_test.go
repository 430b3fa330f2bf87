package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestURLCommand(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"help", []string{"help"}, 0, []string{"fleet url"}, ""},
		{"no command", nil, 2, nil, "Usage"},
		{"unknown command", []string{"frob"}, 2, nil, `unknown command "frob"`},
		{"plain url", []string{"url", "dubbo://admin:pw@10.0.0.1:20880/org.a.Svc?version=1.0&group=g&timeout=3000"}, 0,
			[]string{"service key: g/org.a.Svc:1.0", "address:     10.0.0.1:20880", "  timeout = 3000", "username:    admin"}, ""},
		{"encoded url", []string{"url", "dubbo%3A%2F%2F10.0.0.1%3A20880%2Forg.a.Svc%3Finterface%3Dorg.a.Svc%26methods%3DsayHello"}, 0,
			[]string{"protocol:    dubbo", "  methods = sayHello"}, ""},
		{"refer decoded", []string{"url", "zookeeper://10.0.0.2:2181/org.apache.dubbo.registry.RegistryService?refer=interface%3Dorg.a.Svc%26timeout%3D5"}, 0,
			[]string{"refer (decoded):", "    timeout = 5"}, ""},
		{"malformed url", []string{"url", "dubbo://10.0.0.1:port/x"}, 1, nil, "dubbo://10.0.0.1:port/x"},
		{"url without argument", []string{"url"}, 2, nil, "Usage: fleet url"},
		{"not a url", []string{"url", "not a url"}, 1, nil, `"not a url" is not a Dubbo URL: no protocol`},
		{"blank in the host", []string{"url", "dubbo://not a host:20880/x"}, 1, nil, `host "not a host" contains ' '`},
		{"one bad url among good ones", []string{"url", "dubbo://10.0.0.1:20880/x", "x"}, 1, nil, `"x" is not a Dubbo URL`},
		{"ipv6 and any host are fine", []string{"url", "dubbo://[::1]:20880/x", "override://0.0.0.0/x?timeout=1", "empty://*/x"}, 0, []string{"address:     [::1]:20880"}, ""},
		{"help of a command", []string{"help", "ls"}, 0, []string{"Usage: fleet ls"}, ""},
		{"help of url", []string{"help", "url"}, 0, []string{"Usage: fleet url"}, ""},
		{"help of an unknown command", []string{"help", "frob"}, 2, nil, `unknown command "frob"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			require.Equal(t, tt.code, run(tt.args, &stdout, &stderr))
			for _, s := range tt.stdout {
				require.Contains(t, stdout.String(), s)
			}
			require.Contains(t, stderr.String(), tt.stderr)
		})
	}
}
