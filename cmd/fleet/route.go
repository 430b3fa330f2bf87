package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/config"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
	"github.com/fleetrpc/fleet/router/tag"
)

const routeUsage = `Usage: fleet route REGISTRY_URL INTERFACE [--method M] [--consumer k=v...] [--tag T] [--tag-rule FILE] [ARG_JSON...]

Shows which providers of INTERFACE a consumer would reach, and which rule
removed each of the others. The providers are merged with the consumer's
parameters and the registry's configurators, as a real consumer's directory
merges them; the rules are the registry's routers. The consumer is this host
unless --consumer host=… says otherwise; other --consumer pairs are its URL
parameters (application=shop, group=g1, version=1.0.0). ARG_JSON values are
the call's arguments, for rules on arguments[i]. The built-in routers (mock,
tag) run as a consumer's do; --tag sets the call's dubbo.tag attachment, and
--tag-rule applies a YAML tag rule as a config center would. The rules of
the config center (--config-center URL, by default the registry's address
as Java's) apply too: the consumer's and the service's configurators and
condition rules, the providers' application's tag rule; the keys in force
are listed first.
`

// localIP is the consumer host of fleet route without --consumer host=…;
// a variable for tests.
var localIP = config.LocalIP

// urlOnly is an invoker that only carries its URL: routing needs no
// connection.
type urlOnly struct{ url *common.URL }

func (u urlOnly) URL() *common.URL  { return u.url }
func (u urlOnly) IsAvailable() bool { return true }
func (u urlOnly) Destroy()          {}
func (u urlOnly) Invoke(context.Context, protocol.Invocation) protocol.Result {
	return protocol.ErrorResult(errors.New("fleet route does not call providers"))
}

// urlOnlyProtocol refers every provider as a urlOnly.
type urlOnlyProtocol struct{}

func (urlOnlyProtocol) Refer(u *common.URL) (protocol.Invoker, error) { return urlOnly{u}, nil }
func (urlOnlyProtocol) Export(protocol.Invoker) (protocol.Exporter, error) {
	return nil, errors.New("fleet route exports nothing")
}
func (urlOnlyProtocol) Destroy() {}

func routeCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("route", routeUsage, stderr)
	method := fs.String("method", "", "the method called (rules on method)")
	var consumerKV stringsFlag
	fs.Var(&consumerKV, "consumer", "a consumer URL parameter key=value, or host=IP (repeatable)")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the registry")
	callTag := fs.String("tag", "", "the call's routing tag (attachment dubbo.tag)")
	tagRule := fs.String("tag-rule", "", "a YAML tag rule file to apply (as <provider app>.tag-router)")
	center := fs.String("config-center", "", "the config center's URL (default: the registry's address, as Java's)")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(pos) < 2 {
		fs.Usage()
		return 2
	}
	regURL, err := common.Parse(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "fleet: %v\n", err)
		return 2
	}
	iface := pos[1]
	kv, err := keyValues(consumerKV, "--consumer")
	if err != nil {
		fmt.Fprintf(stderr, "fleet: %v\n", err)
		return 2
	}
	callArgs, _, err := javaArgs(pos[2:], nil)
	if err != nil {
		fmt.Fprintf(stderr, "fleet: %v\n", err)
		return 2
	}
	host := localIP() // what a consumer on this machine is, as config.Runtime registers it
	if h, ok := kv["host"]; ok {
		host = h
		delete(kv, "host")
	}
	params := map[string]string{common.InterfaceKey: iface, common.SideKey: "consumer"}
	for k, v := range kv {
		params[k] = v
	}
	consumer := common.NewURL("consumer", host, 0, iface, params)

	found, err := lookup(regURL, consumer.WithParam(common.CategoryKey, "providers,configurators,routers"), *timeout)
	if err != nil {
		fmt.Fprintf(stderr, "fleet: %v\n", oneLine(err))
		return 1
	}
	providerApp := ""
	for _, u := range found {
		if u.Category() == common.ProvidersCategory && u.Protocol() != common.EmptyProtocol {
			providerApp = u.ParamOr(common.ApplicationKey, "")
			break
		}
	}
	cu, err := centerURLFor(regURL, *center)
	if err != nil {
		fmt.Fprintf(stderr, "fleet: --config-center: %v\n", err)
		return 2
	}
	dyn := readCenterRules(cu, consumer, providerApp, *timeout, stderr) // routecc.go
	builtins := router.Replace([]router.Router{router.Mock(), tag.Static()}, dyn.routers)
	if *tagRule != "" {
		content, err := os.ReadFile(*tagRule)
		var tr *tag.Router
		if err == nil {
			tr, err = tag.FromYAML("", content)
		}
		if err != nil {
			fmt.Fprintf(stderr, "fleet: --tag-rule: %v\n", oneLine(err))
			return 2
		}
		builtins = router.Replace(builtins, []router.Router{tr}) // it wins over the config center's
	}
	inv := protocol.NewInvocation(*method, callArgs...)
	if *callTag != "" {
		inv = inv.WithAttachment(common.TagKey, *callTag)
	}
	explanation, err := explainRoute(consumer, found, builtins, inv, stderr, dyn)
	if err != nil {
		fmt.Fprintf(stderr, "fleet: %v\n", oneLine(err))
		return 1
	}
	if len(dyn.keys) > 0 {
		fmt.Fprintf(stdout, "config-center rules: %s\n", strings.Join(dyn.keys, ", "))
	}
	fmt.Fprintln(stdout, strings.TrimRight(explanation.String(), "\n"))
	return 0
}

// explainRoute merges the providers as a consumer's directory would and
// explains the call inv over them with the built-in routers and those
// found.
func explainRoute(consumer *common.URL, found []*common.URL, builtins []router.Router, inv protocol.Invocation, warn io.Writer, dyn *centerRules) (router.Explanation, error) {
	byCategory := map[string][]*common.URL{}
	for _, u := range found {
		cat := u.Category()
		if u.Protocol() == common.RouteProtocol {
			cat = common.RoutersCategory
		}
		byCategory[cat] = append(byCategory[cat], u)
	}
	protocols := map[string]protocol.Protocol{}
	for _, u := range byCategory[common.ProvidersCategory] {
		protocols[u.Protocol()] = urlOnlyProtocol{}
	}
	dir, err := directory.NewRegistry(consumer, directory.WithProtocols(protocols))
	if err != nil {
		return router.Explanation{}, err
	}
	defer dir.Destroy()
	dir.SetDynamicConfigurators(dyn.app, dyn.svc)
	// Configurators first, so the providers are merged with them.
	for _, cat := range []string{common.ConfiguratorsCategory, common.ProvidersCategory} {
		if list := byCategory[cat]; len(list) > 0 {
			dir.Notify(list)
		}
	}
	routers := builtins
	for _, u := range byCategory[common.RoutersCategory] {
		r, err := router.New(u)
		if err != nil {
			fmt.Fprintf(warn, "fleet: rule skipped, as a consumer would skip it: %v\n", oneLine(err))
			continue
		}
		routers = append(routers, r)
	}
	return router.Explain(routers, dir.Invokers(), consumer, inv), nil
}
