package configurator

import (
	"testing"

	"github.com/fleetrpc/fleet/common"
)

// FuzzParseRules: no input makes ParseRules panic, and every rule it
// accepts compiles and applies without panicking.
func FuzzParseRules(f *testing.F) {
	for _, s := range []string{
		"configVersion: v2.7\nscope: service\nkey: g1/org.a.Svc:1.0.0\nconfigs:\n  - side: consumer\n    parameters: {timeout: 6000}\n",
		"configVersion: v3.0\nscope: application\nkey: app\nconfigs:\n  - match: {address: {wildcard: '10.0.0.1:20880'}, service: {oneof: [{exact: S}]}, param: [{key: k, value: {regex: 'v.*'}}]}\n    side: provider\n    parameters: {weight: 200}\n",
		"[\"override://0.0.0.0/com.xx.Service?timeout=6666\"]",
		"configs: [{addresses: ['1.2.3.4:x'], parameters: {a: 1}}]",
		"key: s\nconfigs:\n- parameters: {1: 2, a: [1]}\n",
		"{{{",
		"",
	} {
		f.Add([]byte(s))
	}
	target := common.MustParse("dubbo://10.0.0.1:20880/S?side=provider&application=app&k=v1")
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := ParseRules(data)
		if err != nil {
			return
		}
		for _, c := range FromRules(rules, "10.0.0.9") {
			c.Configure(target)
		}
	})
}
