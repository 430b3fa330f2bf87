// Command fleet is fleet's command-line tool for looking at Dubbo URLs,
// registries and services.
//
// Usage:
//
//	fleet ls REGISTRY_URL [INTERFACE] [--json]
//	fleet invoke TARGET INTERFACE METHOD [ARG_JSON...] [--types T,...] [--generic] [--group G] [--version V] ...
//	fleet route REGISTRY_URL INTERFACE [--method M] [--consumer k=v...]
//	fleet bench TARGET INTERFACE METHOD [ARG_JSON...] -c 32 (-n 100000 | -d 30s)
//	fleet url [--encoded] URL...
//
// It is a program: nothing imports it.
package main
