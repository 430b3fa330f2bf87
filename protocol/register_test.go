package protocol

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
)

type nopProtocol struct{}

func (nopProtocol) Refer(*common.URL) (Invoker, error) { return nil, nil }
func (nopProtocol) Export(Invoker) (Exporter, error)   { return nil, nil }
func (nopProtocol) Destroy()                           {}

func TestRegisterAndGet(t *testing.T) {
	Register("test-nop", nopProtocol{})
	p, err := Get("test-nop")
	require.NoError(t, err)
	require.Equal(t, nopProtocol{}, p)
	require.Contains(t, Protocols(), "test-nop")
	require.PanicsWithValue(t, "protocol: Register called twice for protocol test-nop", func() { Register("test-nop", nopProtocol{}) })
	require.Panics(t, func() { Register("test-nil", nil) })
	_, err = Get("nope")
	require.EqualError(t, err, `protocol: unknown protocol "nope" (forgotten import?)`)
}

func TestContextCarriesInvocation(t *testing.T) {
	_, ok := FromContext(t.Context())
	require.False(t, ok)
	inv := NewInvocation("m")
	got, ok := FromContext(NewContext(t.Context(), inv))
	require.True(t, ok)
	require.Same(t, inv, got)
}
