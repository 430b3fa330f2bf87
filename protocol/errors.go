package protocol

import (
	"errors"
	"strings"
)

// Kind classifies an RPC failure. The numeric values are Java Dubbo's
// RpcException codes, so a Kind can be compared with what a Java peer logs.
type Kind int

// The kinds of RPC failure.
const (
	// KindUnknown is a failure fleet could not classify.
	KindUnknown Kind = 0
	// KindNetwork is a failure to reach or talk to the provider: a dial
	// error, a connection lost with the call in flight, a provider that
	// reported a service or server error.
	KindNetwork Kind = 1
	// KindTimeout is a call that got no answer within its timeout or deadline.
	KindTimeout Kind = 2
	// KindBusiness is an error raised by the provider's method itself (a Java
	// exception, a Go service method's error). It is the only kind that
	// cluster strategies never retry.
	KindBusiness Kind = 3
	// KindForbidden is a directory whose registry pushed empty:// providers:
	// the service is forbidden for this consumer.
	KindForbidden Kind = 4
	// KindSerialization is a request or response that could not be encoded
	// or decoded.
	KindSerialization Kind = 5
	// KindNoProvider is a call that found no provider to reach.
	KindNoProvider Kind = 6
	// KindLimit is a limit exceeded: payload size, provider thread pool.
	KindLimit Kind = 7
)

var kindNames = [...]string{
	KindUnknown:       "unknown error",
	KindNetwork:       "network error",
	KindTimeout:       "timeout",
	KindBusiness:      "business error",
	KindForbidden:     "forbidden",
	KindSerialization: "serialization error",
	KindNoProvider:    "no provider available",
	KindLimit:         "limit exceeded",
}

// String names the kind, as used in error messages.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown error"
}

// Retryable reports whether a cluster strategy may retry a call that failed
// with this kind elsewhere. Only business errors are not retryable.
func (k Kind) Retryable() bool { return k != KindBusiness }

// kindError is the sentinel of one Kind, matched by errors.Is.
type kindError struct{ kind Kind }

func (e *kindError) Error() string { return "protocol: " + e.kind.String() }

// Sentinels for errors.Is. Every *Error matches the sentinel of its kind;
// an error of KindForbidden also matches ErrNoProvider, because a forbidden
// service is one way of having no provider.
var (
	ErrUnknown       error = &kindError{KindUnknown}
	ErrNetwork       error = &kindError{KindNetwork}
	ErrTimeout       error = &kindError{KindTimeout}
	ErrBusiness      error = &kindError{KindBusiness}
	ErrForbidden     error = &kindError{KindForbidden}
	ErrSerialization error = &kindError{KindSerialization}
	ErrNoProvider    error = &kindError{KindNoProvider}
	ErrLimit         error = &kindError{KindLimit}
)

// Error is an RPC failure: what kind it is, where it happened, and why.
// Every error fleet returns from a call is, or wraps, an *Error.
//
// errors.Is(err, ErrTimeout) tests the kind; errors.As(err, &rpcErr) gives
// the service key and provider address; Unwrap gives the cause (for a
// business error, the provider's own error).
type Error struct {
	Kind       Kind
	ServiceKey string // group/interface:version of the service called
	Method     string // the method called, when known
	Address    string // the provider address (host:port), when known
	Message    string // what happened, in Dubbo's words where Dubbo defines them
	Err        error  // the cause, may be nil
}

// NewError returns an *Error of the given kind with a message.
func NewError(kind Kind, serviceKey, method, address, message string, cause error) *Error {
	return &Error{Kind: kind, ServiceKey: serviceKey, Method: method, Address: address, Message: message, Err: cause}
}

// Error renders the kind, the service, method and address, the message and
// the cause.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.String())
	if e.ServiceKey != "" {
		b.WriteString(" calling ")
		b.WriteString(e.ServiceKey)
		if e.Method != "" {
			b.WriteString(".")
			b.WriteString(e.Method)
		}
	} else if e.Method != "" {
		b.WriteString(" calling ")
		b.WriteString(e.Method)
	}
	if e.Address != "" {
		b.WriteString(" at ")
		b.WriteString(e.Address)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel of the error's kind (and ErrNoProvider for a
// forbidden service).
func (e *Error) Is(target error) bool {
	k, ok := target.(*kindError)
	if !ok {
		return false
	}
	return k.kind == e.Kind || (k.kind == KindNoProvider && e.Kind == KindForbidden)
}

// KindOf returns the kind of the first *Error in err's chain, KindUnknown
// when there is none, and -1 for a nil error.
func KindOf(err error) Kind {
	if err == nil {
		return -1
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindUnknown
}

// IsBusiness reports whether err is a business error: raised by the
// provider's method, not by the way to it. Cluster strategies never retry it.
func IsBusiness(err error) bool { return err != nil && KindOf(err) == KindBusiness }
