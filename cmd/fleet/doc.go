// Command fleet is fleet's command-line tool for looking at Dubbo URLs,
// registries and services.
//
// Usage:
//
//	fleet url [--encoded] URL...   decode Dubbo URLs (as registries store them) and show their parts
//	fleet help                     this text
//
// It is a program: nothing imports it.
package main
