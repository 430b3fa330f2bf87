// Package samples holds runnable programs that show fleet at work, each in
// a directory of its own with a README. The first, helloworld, needs no
// set-up: it runs on the embedded registry and the in-process protocol.
package samples
