package interop

import (
	"context"
	"errors"
	"strconv"
	"time"

	hessian "github.com/apache/dubbo-go-hessian2"
	big "github.com/dubbogo/gost/math/big"
)

// UserServiceName is the Java interface both providers serve.
const UserServiceName = "org.apache.dubbo.sample.UserService"

func init() {
	hessian.RegisterPOJO(&User{})
	hessian.RegisterJavaEnum(Active)
}

// User is org.apache.dubbo.sample.User, with a date, a decimal, a list, a
// map and an enum.
type User struct {
	Status  Status            `hessian:"status"`
	Attrs   map[string]string `hessian:"attrs"`
	Tags    []string          `hessian:"tags"`
	Balance *big.Decimal      `hessian:"balance"`
	Created time.Time         `hessian:"created"`
	Age     int32             `hessian:"age"`
	Name    string            `hessian:"name"`
	ID      int64             `hessian:"id"`
}

// JavaClassName implements hessian.POJO.
func (*User) JavaClassName() string { return "org.apache.dubbo.sample.User" }

// Status is org.apache.dubbo.sample.Status.
type Status hessian.JavaEnum

// The Status values.
const (
	Active Status = iota
	Suspended
)

var statusNames = map[Status]string{Active: "ACTIVE", Suspended: "SUSPENDED"}

// JavaClassName implements hessian.POJOEnum.
func (Status) JavaClassName() string { return "org.apache.dubbo.sample.Status" }

// String implements hessian.POJOEnum.
func (s Status) String() string { return statusNames[s] }

// EnumValue implements hessian.POJOEnum.
func (Status) EnumValue(name string) hessian.JavaEnum {
	for k, v := range statusNames {
		if v == name {
			return hessian.JavaEnum(k)
		}
	}
	return hessian.InvalidJavaEnum
}

// Decimal parses a decimal.
func Decimal(s string) *big.Decimal {
	d := new(big.Decimal)
	if err := d.FromString(s); err != nil {
		panic(err)
	}
	return d
}

// NewUser returns user id as the Java provider of the captures answers it.
func NewUser(id int64) *User {
	return &User{
		Status: Active, Attrs: map[string]string{"k": "v"}, Tags: []string{"a", "b"},
		Balance: Decimal("1234.50"), Created: time.UnixMilli(1700000000000),
		Age: 30, Name: "user-" + strconv.FormatInt(id, 10), ID: id,
	}
}

// UserService is the Go implementation both providers serve: fleet exports
// it through protocol/service, dubbo-go through its config API.
type UserService struct {
	// Who answers Whoami.
	Who string
	// Ref is the dubbo-go reference name (RPCService).
	Ref string
}

// Reference implements dubbo-go's common.RPCService.
func (s *UserService) Reference() string { return s.Ref }

// GetUser returns user id; a negative id is an error.
func (s *UserService) GetUser(ctx context.Context, id int64) (*User, error) {
	if id < 0 {
		return nil, errors.New("negative id")
	}
	return NewUser(id), nil
}

// Hello greets. (Not "Echo": a dubbo-go consumer sends a method named Echo
// as Dubbo's $echo.)
func (s *UserService) Hello(ctx context.Context, name string) (string, error) {
	return "Hello " + name, nil
}

// Add adds.
func (s *UserService) Add(ctx context.Context, a, b int32) (int32, error) { return a + b, nil }

// Count counts words.
func (s *UserService) Count(ctx context.Context, words []string) (map[string]int32, error) {
	m := map[string]int32{}
	for _, w := range words {
		m[w]++
	}
	return m, nil
}

// Save returns u with its id incremented.
func (s *UserService) Save(ctx context.Context, u *User) (*User, error) {
	c := *u
	c.ID++
	return &c, nil
}

// Whoami names the provider.
func (s *UserService) Whoami(ctx context.Context) (string, error) { return s.Who, nil }
