// Package api holds what the sample's provider and consumer share: the
// service's Java names, its POJO, and the consumer's proxy struct.
package api

import (
	"context"
	"time"

	hessian "github.com/apache/dubbo-go-hessian2"
)

// Interface is the Java interface name the provider registers.
const Interface = "org.fleetrpc.samples.nacos.GreeterService"

// User is a POJO: on the wire it is the Java class
// org.fleetrpc.samples.nacos.User. The hessian tags are the Java field
// names.
type User struct {
	ID       int64     `hessian:"id"`
	Name     string    `hessian:"name"`
	Birthday time.Time `hessian:"birthday"`
}

// JavaClassName names User's Java class for Hessian.
func (User) JavaClassName() string { return "org.fleetrpc.samples.nacos.User" }

func init() { hessian.RegisterPOJO(&User{}) }

// GreeterClient is the consumer's dubbo-go style proxy: each func field is a
// remote method (SayHello is called as sayHello, as a Java provider expects).
type GreeterClient struct {
	SayHello func(ctx context.Context, name string) (string, error)
	GetUser  func(ctx context.Context, id int64) (*User, error) `types:"long"`
}

// Reference names the client's entry under dubbo.consumer.references.
func (*GreeterClient) Reference() string { return "GreeterClient" }
