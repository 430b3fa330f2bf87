package router

import (
	"fmt"

	"github.com/fleetrpc/fleet/common"
)

// TypeOf returns the router type of a rule URL from the registry: its
// router param when set (route://…?router=condition), else its protocol
// (condition://…). A route:// URL without a router param names type
// "route", which no package registers (as in Java Dubbo).
func TypeOf(rule *common.URL) string {
	if t, _ := rule.Param(common.RouterKey); t != "" {
		return t
	}
	return rule.Protocol()
}

// New builds the router of a rule URL with the factory registered under
// TypeOf(rule). An unknown type is an error naming the rule; a rule that
// does not parse is the factory's error, which names it too.
func New(rule *common.URL) (Router, error) {
	f, err := Get(TypeOf(rule))
	if err != nil {
		return nil, fmt.Errorf("router %s: %w", rule, err)
	}
	return f(rule)
}
