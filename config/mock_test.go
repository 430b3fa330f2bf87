package config

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/cluster"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
)

// TestProxyMockValuesTakeTheResultType: a mock's value reaches a proxy
// as the method's declared result type, including a string result given
// digits (Java's rule for String return types).
func TestProxyMockValuesTakeTheResultType(t *testing.T) {
	consumer := common.MustParse("consumer://127.0.0.1/com.example.UserService?interface=com.example.UserService" +
		"&getUser.mock=" + common.Encode(`force:return {"id": 7, "name": "bob"}`) +
		"&sayHello.mock=" + common.Encode("force:return 123") +
		"&wrong.mock=" + common.Encode("force:return 42"))
	ref := NewReference("UserClient", (&cluster.Mock{}).Join(directory.NewStatic(consumer, nil)))
	t.Cleanup(ref.Destroy)
	var c UserClient
	require.NoError(t, ref.Bind(&c))
	ctx := context.Background()

	u, err := c.GetUser(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, &User{ID: 7, Name: "bob"}, u)
	s, err := c.SayHello(ctx, "x")
	require.NoError(t, err)
	require.Equal(t, "123", s)
	n, err := c.Odd(ctx)
	require.NoError(t, err)
	require.Equal(t, 42, n)
}
