package config

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/cluster"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/injvm"
	"github.com/fleetrpc/fleet/protocol/service"
)

type User struct {
	ID       int64
	Name     string
	Birthday time.Time
}

var errNoUser = errors.New("no such user")

// userService is the provider; it answers POJOs as maps, as a generic
// Java reply or an unregistered Hessian class would arrive.
type userService struct{}

func (userService) SayHello(_ context.Context, name string) (string, error) {
	return "Hello " + name, nil
}
func (userService) GetUser(_ context.Context, id int64) (map[string]any, error) {
	if id == 0 {
		return nil, errNoUser
	}
	return map[string]any{"class": "com.example.User", "id": id, "name": "bob"}, nil
}
func (userService) Ping() error                             { return nil }
func (userService) Wrong(_ context.Context) (string, error) { return "text", nil }

// UserClient is a dubbo-go style proxy struct.
type UserClient struct {
	SayHello func(ctx context.Context, name string) (string, error)
	GetUser  func(ctx context.Context, id int64) (*User, error) `types:"long"`
	Ping     func() error
	Odd      func(ctx context.Context) (int, error) `dubbo:"wrong"`
	hidden   func() error
}

func (*UserClient) Reference() string { return "UserClient" }

func newReference(t *testing.T) *Reference {
	t.Helper()
	p := injvm.New()
	t.Cleanup(p.Destroy)
	u := common.MustParse("injvm://127.0.0.1:1/com.example.UserService?interface=com.example.UserService")
	svc, err := service.New(u, userService{})
	require.NoError(t, err)
	_, err = p.Export(svc)
	require.NoError(t, err)
	inv, err := p.Refer(u)
	require.NoError(t, err)
	consumer := common.MustParse("consumer://127.0.0.1/com.example.UserService?interface=com.example.UserService")
	ref := NewReference("UserClient", (&cluster.Failover{}).Join(directory.NewStatic(consumer, []protocol.Invoker{inv})))
	t.Cleanup(ref.Destroy)
	return ref
}

func TestBindProxy(t *testing.T) {
	ref := newReference(t)
	var c UserClient
	require.NoError(t, ref.Bind(&c))
	require.Nil(t, c.hidden, "unexported fields are left alone")
	ctx := context.Background()

	s, err := c.SayHello(ctx, "world")
	require.NoError(t, err)
	require.Equal(t, "Hello world", s)

	u, err := c.GetUser(ctx, 7)
	require.NoError(t, err)
	require.Equal(t, &User{ID: 7, Name: "bob"}, u, "a POJO map becomes the proxy's struct")

	_, err = c.GetUser(ctx, 0)
	require.ErrorIs(t, err, errNoUser)
	require.ErrorIs(t, err, protocol.ErrBusiness)

	require.NoError(t, c.Ping(), "a proxy without context calls with a background context")

	_, err = c.Odd(ctx)
	require.ErrorIs(t, err, protocol.ErrSerialization, "a reply that does not fit the result type")

	names, err := ProxyMethodNames(&c)
	require.NoError(t, err)
	require.Equal(t, []string{"sayHello", "getUser", "ping", "wrong"}, names)
}

func TestCall(t *testing.T) {
	ref := newReference(t)
	v, err := ref.Call(context.Background(), "sayHello", "bob")
	require.NoError(t, err)
	require.Equal(t, "Hello bob", v)
	require.Equal(t, "UserClient", ref.Name())
}

type mapped struct {
	GetUser func(ctx context.Context, id int64) (*User, error)
}

func (mapped) MethodMapper() map[string]string { return map[string]string{"GetUser": "queryUser"} }

func TestBindErrors(t *testing.T) {
	ref := newReference(t)
	require.ErrorContains(t, ref.Bind(UserClient{}), "must be a non-nil pointer to a struct")
	require.ErrorContains(t, ref.Bind((*UserClient)(nil)), "must be a non-nil pointer to a struct")
	require.ErrorContains(t, ref.Bind(&struct{ X int }{}), "has no exported func fields")
	require.ErrorContains(t, ref.Bind(&struct{ F func() string }{}), "must return error or (T, error)")
	require.ErrorContains(t, ref.Bind(&struct {
		F func(a, b int) error `types:"int"`
	}{}), "types tag lists 1 types for 2 parameters")
	names, err := ProxyMethodNames(&mapped{})
	require.NoError(t, err)
	require.Equal(t, []string{"queryUser"}, names)
}
