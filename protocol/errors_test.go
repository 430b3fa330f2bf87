package protocol

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestErrorKindsMatchTheirSentinels(t *testing.T) {
	sentinels := map[Kind]error{
		KindUnknown: ErrUnknown, KindNetwork: ErrNetwork, KindTimeout: ErrTimeout, KindBusiness: ErrBusiness,
		KindForbidden: ErrForbidden, KindSerialization: ErrSerialization, KindNoProvider: ErrNoProvider, KindLimit: ErrLimit,
	}
	for kind, sentinel := range sentinels {
		t.Run(kind.String(), func(t *testing.T) {
			err := fmt.Errorf("call: %w", NewError(kind, "g/org.a.Svc:1.0", "sayHello", "10.0.0.1:20880", "boom", nil))
			require.ErrorIs(t, err, sentinel)
			for other, s := range sentinels {
				if other == kind || (kind == KindForbidden && other == KindNoProvider) {
					continue
				}
				require.NotErrorIs(t, err, s, "kind %v must not match %v", kind, other)
			}
			var rpcErr *Error
			require.ErrorAs(t, err, &rpcErr)
			require.Equal(t, "g/org.a.Svc:1.0", rpcErr.ServiceKey)
			require.Equal(t, "10.0.0.1:20880", rpcErr.Address)
			require.Equal(t, kind, KindOf(err))
			require.Equal(t, kind != KindBusiness, kind.Retryable())
		})
	}
}

func TestForbiddenIsAlsoNoProvider(t *testing.T) {
	err := NewError(KindForbidden, "org.a.Svc", "", "", "forbidden", nil)
	require.ErrorIs(t, err, ErrNoProvider)
	require.ErrorIs(t, err, ErrForbidden)
	require.NotErrorIs(t, NewError(KindNoProvider, "", "", "", "", nil), ErrForbidden)
}

type appError struct{ code int }

func (e *appError) Error() string { return fmt.Sprintf("app error %d", e.code) }

func TestBusinessErrorUnwrapsToTheCause(t *testing.T) {
	err := NewError(KindBusiness, "org.a.Svc", "pay", "10.0.0.1:20880", "", &appError{code: 7})
	var app *appError
	require.ErrorAs(t, err, &app)
	require.Equal(t, 7, app.code)
	require.True(t, IsBusiness(err))
	require.False(t, IsBusiness(NewError(KindTimeout, "", "", "", "", nil)))
	require.False(t, IsBusiness(nil))
	require.Equal(t, "business error calling org.a.Svc.pay at 10.0.0.1:20880: app error 7", err.Error())
}

func TestKindOf(t *testing.T) {
	require.Equal(t, Kind(-1), KindOf(nil))
	require.Equal(t, KindUnknown, KindOf(errors.New("plain")))
	require.Equal(t, KindTimeout, KindOf(fmt.Errorf("x: %w", NewError(KindTimeout, "", "", "", "", nil))))
	require.Equal(t, "unknown error", Kind(42).String())
}
