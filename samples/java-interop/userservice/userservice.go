// Package userservice is the Go side of the Java service
//
//	package org.apache.dubbo.sample;
//	public enum Status { ACTIVE, SUSPENDED }
//	public class User implements java.io.Serializable {
//	    long id; String name; int age; java.util.Date created; java.math.BigDecimal balance;
//	    java.util.List<String> tags; java.util.Map<String, String> attrs; Status status;
//	}
//	public interface UserService {
//	    User getUser(long id); List<User> listUsers(int n); Map<String, Integer> count(List<String> words);
//	    int add(int a, int b); long addLong(long a, long b); boolean flip(boolean b); double half(double d);
//	    byte[] echoBytes(byte[] b); String echo(String s); void ping(); User save(User u); String whoami();
//	}
//
// Java types map to Go as Hessian maps them: long ↔ int64, int ↔ int32,
// Date ↔ time.Time, BigDecimal ↔ *big.Decimal (github.com/dubbogo/gost),
// List ↔ slice, Map ↔ map, an enum ↔ a hessian.JavaEnum, a class ↔ a
// struct with JavaClassName, registered with hessian.RegisterPOJO.
package userservice

import (
	"context"
	"time"

	hessian "github.com/apache/dubbo-go-hessian2"
	big "github.com/dubbogo/gost/math/big"
)

// Interface is the Java interface name.
const Interface = "org.apache.dubbo.sample.UserService"

// User is org.apache.dubbo.sample.User. Fields match Java's by the hessian
// tag (or by name, case-insensitively).
type User struct {
	ID      int64             `hessian:"id"`
	Name    string            `hessian:"name"`
	Age     int32             `hessian:"age"`
	Created time.Time         `hessian:"created"`
	Balance *big.Decimal      `hessian:"balance"`
	Tags    []string          `hessian:"tags"`
	Attrs   map[string]string `hessian:"attrs"`
	Status  Status            `hessian:"status"`
}

// JavaClassName names the Java class.
func (*User) JavaClassName() string { return "org.apache.dubbo.sample.User" }

// Status is the Java enum org.apache.dubbo.sample.Status.
type Status hessian.JavaEnum

// The constants of Status.
const (
	Active Status = iota
	Suspended
)

var statusNames = [...]string{Active: "ACTIVE", Suspended: "SUSPENDED"}

// JavaClassName names the Java enum.
func (Status) JavaClassName() string { return "org.apache.dubbo.sample.Status" }

// String is the constant's Java name.
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "INVALID"
}

// EnumValue maps a Java constant name to its Status.
func (Status) EnumValue(name string) hessian.JavaEnum {
	for i, n := range statusNames {
		if n == name {
			return hessian.JavaEnum(i)
		}
	}
	return hessian.InvalidJavaEnum
}

func init() {
	hessian.RegisterPOJO(&User{})
	hessian.RegisterJavaEnum(Active)
}

// Decimal parses a BigDecimal value; it panics on a malformed constant.
func Decimal(s string) *big.Decimal {
	d := new(big.Decimal)
	if err := d.FromString(s); err != nil {
		panic(err)
	}
	return d
}

// Client is the dubbo-go style proxy of UserService. Field names become Java
// method names with a lower-case first letter; the types tags give the Java
// parameter types where Go's would be ambiguous (int32 is int, int64 long).
type Client struct {
	GetUser   func(ctx context.Context, id int64) (*User, error)                  `types:"long"`
	ListUsers func(ctx context.Context, n int32) ([]*User, error)                 `types:"int"`
	Count     func(ctx context.Context, words []string) (map[string]int32, error) `types:"java.util.List"`
	Add       func(ctx context.Context, a, b int32) (int32, error)                `types:"int,int"`
	AddLong   func(ctx context.Context, a, b int64) (int64, error)                `types:"long,long"`
	Flip      func(ctx context.Context, b bool) (bool, error)                     `types:"boolean"`
	Half      func(ctx context.Context, d float64) (float64, error)               `types:"double"`
	EchoBytes func(ctx context.Context, b []byte) ([]byte, error)                 `types:"byte[]"`
	Echo      func(ctx context.Context, s string) (string, error)                 `types:"java.lang.String"`
	Ping      func(ctx context.Context) error
	Save      func(ctx context.Context, u *User) (*User, error) `types:"org.apache.dubbo.sample.User"`
	Whoami    func(ctx context.Context) (string, error)
}

// Reference names the client's entry under dubbo.consumer.references.
func (*Client) Reference() string { return "UserService" }
