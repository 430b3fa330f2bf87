// Command helloworld exports a greeting service from three providers into
// fleet's embedded registry, calls it through a failover reference, stops
// one provider and shows that the calls keep succeeding.
//
// It is a program: nothing imports it.
package main
