package protocol

// Result is what an Invoker returns: a value, or an error, and the
// attachments the provider sent back.
//
// Error is nil on success. Otherwise it is an *Error (or wraps one): a
// business error (KindBusiness) when the provider's method failed, which
// cluster strategies never retry, or an RPC failure of another kind.
type Result interface {
	// Value is the method's return value; nil for void methods and errors.
	Value() any
	// Error is the call's error, nil on success.
	Error() error
	// Attachments are the response attachments; the caller must not modify
	// the map.
	Attachments() map[string]any
}

// RPCResult is fleet's Result.
type RPCResult struct {
	value       any
	err         error
	attachments map[string]any
}

// NewResult returns a successful result carrying v and the response
// attachments (may be nil).
func NewResult(v any, attachments map[string]any) *RPCResult {
	return &RPCResult{value: v, attachments: attachments}
}

// ErrorResult returns a failed result.
func ErrorResult(err error) *RPCResult { return &RPCResult{err: err} }

// Value implements Result.
func (r *RPCResult) Value() any { return r.value }

// Error implements Result.
func (r *RPCResult) Error() error { return r.err }

// Attachments implements Result.
func (r *RPCResult) Attachments() map[string]any { return r.attachments }
