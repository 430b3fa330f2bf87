package dubbo

import (
	"strconv"
	"testing"
	"time"

	hessian "github.com/apache/dubbo-go-hessian2"
	big "github.com/dubbogo/gost/math/big"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	hessian.RegisterPOJO(&User{})
	hessian.RegisterJavaEnum(Active)
	goleak.VerifyTestMain(m)
}

// User is the Go side of org.apache.dubbo.sample.User in the captures. The
// fields are declared in the order hessian-lite writes them (the reverse of
// primitives and java.lang first), so encoding it reproduces Java's class
// definition.
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

func (*User) JavaClassName() string { return "org.apache.dubbo.sample.User" }

// Status is org.apache.dubbo.sample.Status.
type Status hessian.JavaEnum

const (
	Active Status = iota
	Suspended
)

var statusNames = map[Status]string{Active: "ACTIVE", Suspended: "SUSPENDED"}

func (Status) JavaClassName() string { return "org.apache.dubbo.sample.Status" }
func (s Status) String() string      { return statusNames[s] }
func (Status) EnumValue(name string) hessian.JavaEnum {
	for k, v := range statusNames {
		if v == name {
			return hessian.JavaEnum(k)
		}
	}
	return hessian.InvalidJavaEnum
}

func decimal(s string) *big.Decimal {
	d := new(big.Decimal)
	if err := d.FromString(s); err != nil {
		panic(err)
	}
	return d
}

// user returns User id as the captured Java provider answers getUser(id).
func user(id int64) *User {
	return &User{
		Status: Active, Attrs: map[string]string{"k": "v"}, Tags: []string{"a", "b"},
		Balance: decimal("1234.50"), Created: time.UnixMilli(1700000000000),
		Age: 30, Name: "user-" + strconv.FormatInt(id, 10), ID: id,
	}
}
