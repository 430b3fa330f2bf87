package dubbo

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// fuzzPayload is the payload limit the fuzzers decode under.
const fuzzPayload = 64 << 10

// allocBound is the most a decode of n bytes may allocate: the decoder's
// fixed buffers plus a constant factor of the input.
func allocBound(n int) uint64 { return 1<<20 + 256*uint64(n) }

func seedCaptures(f *testing.F) {
	f.Helper()
	for _, dir := range []string{captures, filepath.Join(captures, "userservice")} {
		bins, err := filepath.Glob(filepath.Join(dir, "*.bin"))
		if err != nil {
			f.Fatal(err)
		}
		for _, b := range bins {
			data, err := os.ReadFile(b)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

func totalAlloc() uint64 {
	if os.Getenv("FLEET_FUZZ_NOALLOC") != "" {
		return 0
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// FuzzFrameDecoder feeds arbitrary streams to the frame reader and decodes
// every frame's body as a request or a response: no panic, and no more
// allocation than allocBound of the input.
func FuzzFrameDecoder(f *testing.F) {
	seedCaptures(f)
	f.Add(AppendHeader(nil, Header{Request: true, TwoWay: true, Serialization: 2, BodyLen: 1 << 30}))
	f.Fuzz(func(t *testing.T, stream []byte) {
		before := totalAlloc()
		fr := NewFrameReader(bytes.NewReader(stream), fuzzPayload, "fuzz")
		for {
			h, body, err := fr.ReadFrame()
			if err != nil {
				var perr *PayloadError
				if h.BodyLen > fuzzPayload && errorsAs(err, &perr) {
					continue
				}
				break
			}
			if h.Request {
				var r Request
				_ = DecodeRequestBody(h, body, &r)
			} else {
				var r Response
				_ = DecodeResponseBody(h, body, &r)
			}
		}
		if got := totalAlloc() - before; got > allocBound(len(stream)) {
			t.Fatalf("decoding %d bytes allocated %d bytes", len(stream), got)
		}
	})
}

// FuzzBodyDecoder decodes arbitrary bodies as every kind of frame.
func FuzzBodyDecoder(f *testing.F) {
	for _, fr := range loadFrames(f) {
		f.Add(fr.raw[HeaderLen:])
	}
	f.Add([]byte{0x56, 0x01, 'x', 'I', 0x7f, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, body []byte) {
		before := totalAlloc()
		for _, h := range []Header{
			{Request: true, TwoWay: true, Serialization: 2, BodyLen: len(body)},
			{Request: true, TwoWay: true, Event: true, Serialization: 2, BodyLen: len(body)},
			{Serialization: 2, Status: StatusOK, BodyLen: len(body)},
			{Serialization: 2, Status: StatusServiceError, BodyLen: len(body)},
		} {
			if h.Request {
				var r Request
				_ = DecodeRequestBody(h, body, &r)
			} else {
				var r Response
				_ = DecodeResponseBody(h, body, &r)
			}
		}
		if got := totalAlloc() - before; got > 4*allocBound(len(body)) {
			t.Fatalf("decoding %d bytes allocated %d bytes", len(body), got)
		}
	})
}

// TestCheckHessianWalksCaptures checks the pre-decoder walks every captured
// body to its end without a verdict.
func TestCheckHessianWalksCaptures(t *testing.T) {
	for _, fr := range loadFrames(t) {
		w := walker{b: fr.raw[HeaderLen:]}
		for w.pos < len(w.b) {
			require.NoError(t, w.value(0), fr.file)
		}
	}
	require.ErrorIs(t, checkHessian([]byte{0x56, 0x01, 'x', 'I', 0x7f, 0xff, 0xff, 0xff}), errHessianCount)
	deep := bytes.Repeat([]byte{0x79}, 10000) // untyped lists of one, nested
	require.ErrorIs(t, checkHessian(deep), errHessianDepth)
}

func errorsAs(err error, target **PayloadError) bool {
	p, ok := err.(*PayloadError)
	if ok {
		*target = p
	}
	return ok
}
