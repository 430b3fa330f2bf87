package protocol

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
)

type nopProtocol struct{}

func (nopProtocol) Refer(*common.URL) (Invoker, error) { return nil, nil }
func (nopProtocol) Export(Invoker) (Exporter, error)   { return nil, nil }
func (nopProtocol) Destroy()                           {}

// registrations makes each run's name new: the table is process-wide and
// tests may run more than once (-count).
var registrations int

func TestRegisterAndGet(t *testing.T) {
	registrations++
	name := fmt.Sprintf("test-nop-%d", registrations)
	Register(name, nopProtocol{})
	p, err := Get(name)
	require.NoError(t, err)
	require.Equal(t, nopProtocol{}, p)
	require.Contains(t, Protocols(), name)
	require.PanicsWithValue(t, "protocol: Register called twice for protocol "+name, func() { Register(name, nopProtocol{}) })
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
