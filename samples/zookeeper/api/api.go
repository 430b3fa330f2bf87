// Package api holds what the sample's provider and consumer share: the
// service's Java names, its POJO, and the consumer's proxy struct.
package api

import (
	"context"
	"time"

	hessian "github.com/apache/dubbo-go-hessian2"
)

// Interface is the Java interface name the provider registers.
const Interface = "org.fleetrpc.samples.GreeterService"

// User is a POJO: on the wire it is the Java class org.fleetrpc.samples.User.
// The hessian tags are the Java field names (without them Hessian would
// derive "iD" from ID).
type User struct {
	ID       int64     `hessian:"id"`
	Name     string    `hessian:"name"`
	Email    string    `hessian:"email"`
	Birthday time.Time `hessian:"birthday"`
	Tags     []string  `hessian:"tags"`
}

// JavaClassName names User's Java class for Hessian.
func (User) JavaClassName() string { return "org.fleetrpc.samples.User" }

func init() { hessian.RegisterPOJO(&User{}) }

// GreeterClient is the consumer's dubbo-go style proxy: each func field is a
// remote method (SayHello is called as sayHello, as a Java provider expects).
type GreeterClient struct {
	SayHello func(ctx context.Context, name string) (string, error)
	GetUser  func(ctx context.Context, id int64) (*User, error) `types:"long"`
}

// Reference names the client's entry under dubbo.consumer.references.
func (*GreeterClient) Reference() string { return "GreeterClient" }
