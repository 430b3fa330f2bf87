// Package loadbalance holds the LoadBalance contract — pick one invoker of
// the candidates of a call — its table by name (the loadbalance URL
// parameter), and the balancers.
//
// It imports common and protocol only.
package loadbalance
