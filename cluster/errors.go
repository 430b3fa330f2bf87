package cluster

import (
	"fmt"
	"strings"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// The messages of this file are Java Dubbo's wordings, so that a failure
// reads the same in a Go consumer's log as in a Java one's. Where Java
// appends "Last error is: <message>", the message ends in "Last error is"
// and the cause follows, rendered by protocol.Error as ": <cause>".

// RegistryURLer is an optional interface of a Directory (and of a cluster
// invoker used as a candidate of zone-aware): the URL of the registry the
// providers come from. Error messages name its address; zone-aware reads
// its zone, preferred and weight params. Without it the consumer URL's
// address is named.
type RegistryURLer interface {
	RegistryURL() *common.URL
}

// consumerHost is the consumer's address in messages.
func (c *base) consumerHost() string { return c.dir.URL().Host() }

// version is the Dubbo version in messages: the consumer URL's release
// param, else its dubbo param.
func (c *base) version() string {
	u := c.dir.URL()
	if v := u.ParamOr(common.ReleaseKey, ""); v != "" {
		return v
	}
	return u.ParamOr(common.DubboVersionKey, "")
}

func (c *base) registryAddress() string {
	if r, ok := c.dir.(RegistryURLer); ok && r.RegistryURL() != nil {
		return r.RegistryURL().Address()
	}
	return c.dir.URL().Address()
}

func (c *base) destroyedError(inv protocol.Invocation) error {
	u := c.dir.URL()
	return protocol.NewError(protocol.KindUnknown, u.ServiceKey(), protocol.RealMethodName(inv), "", fmt.Sprintf(
		"Rpc cluster invoker for %s on consumer %s use dubbo version %s is now destroyed! Can not invoke any more.",
		u.ServiceInterface(), c.consumerHost(), c.version()), nil)
}

// checkInvokers is Java's checkInvokers: the code-6 error for an empty
// candidate list, nil otherwise.
func (c *base) checkInvokers(candidates []protocol.Invoker, inv protocol.Invocation) error {
	if len(candidates) > 0 {
		return nil
	}
	u := c.dir.URL()
	method := protocol.RealMethodName(inv)
	return protocol.NewError(protocol.KindNoProvider, u.ServiceKey(), method, "", fmt.Sprintf(
		"Failed to invoke the method %s in the service %s. No provider available for the service %s from registry %s on the consumer %s using the dubbo version %s. Please check if the providers have been started and registered.",
		method, u.ServiceInterface(), u.ServiceKey(), c.registryAddress(), c.consumerHost(), c.version()), nil)
}

// noProviderIn is available's and zone-aware's failure.
func (c *base) noProviderIn(candidates []protocol.Invoker, inv protocol.Invocation) error {
	return protocol.NewError(protocol.KindNoProvider, c.dir.URL().ServiceKey(), protocol.RealMethodName(inv), "",
		"No provider available in "+listString(candidates), nil)
}

// listString renders invokers as Java renders a list of them: their URLs in
// brackets.
func listString(invokers []protocol.Invoker) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, iv := range invokers {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(iv.URL().String())
	}
	b.WriteByte(']')
	return b.String()
}

// balancerName names lb in messages: its Name method, else its type.
func balancerName(lb loadbalance.LoadBalance) string {
	if n, ok := lb.(interface{ Name() string }); ok {
		return n.Name()
	}
	return fmt.Sprintf("%T", lb)
}
