// Package javainterop is a sample: calling the Java Dubbo provider of
// org.apache.dubbo.sample.UserService (the service in fleet's captures of
// Apache Dubbo 2.7.23) from Go — the YAML, the proxy struct, the POJO and
// enum mapping, and the fleet invoke lines that check a provider by hand
// (see README.md). The program is in consumer/, the Java types' Go side in
// userservice/; this package holds only the test.
package javainterop
