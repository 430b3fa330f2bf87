package dubbo

import (
	"sync"

	hessian "github.com/apache/dubbo-go-hessian2"
)

// encoder writes a Hessian2 body at the end of buf, usually the frame
// being built. The common values (strings, null, doubles, the small ints
// of response flags, attachment maps) are written here without
// allocating; any other value is written by the Hessian library through
// lib, an encoder taken from a pool on first need and kept for the rest of
// the body (so class definitions and references are numbered across the
// body as Java numbers them), whose output is copied after buf's.
type encoder struct {
	buf    []byte
	lib    *hessian.Encoder
	libLen int // bytes of lib's buffer already copied into buf
}

// libPool recycles the Hessian library's encoders. An encoder is cleaned
// before it is reused, so nothing crosses from one body to another.
var libPool = sync.Pool{New: func() any { return hessian.NewEncoder() }}

// Append appends raw bytes.
func (e *encoder) Append(b []byte) { e.buf = append(e.buf, b...) }

// Encode writes v with the Hessian library.
func (e *encoder) Encode(v any) error {
	if e.lib == nil {
		e.lib = libPool.Get().(*hessian.Encoder)
		e.lib.ReuseBufferClean()
		e.libLen = 0
	}
	err := e.lib.Encode(v)
	out := e.lib.Buffer()
	if err == nil {
		e.buf = append(e.buf, out[e.libLen:]...)
	}
	e.libLen = len(out)
	return err
}

// truncate drops what was written after n bytes of buf and forgets the
// library's numbering (for rewriting a body from its start).
func (e *encoder) truncate(n int) {
	e.buf = e.buf[:n]
	e.release()
}

// release returns the library encoder, if one was taken.
func (e *encoder) release() {
	if e.lib == nil {
		return
	}
	if cap(e.lib.Buffer()) <= 64<<10 {
		libPool.Put(e.lib) // a big buffer is let go
	}
	e.lib, e.libLen = nil, 0
}
