package dubbo

import (
	"bytes"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
)

// demoImpl is the DemoService of the captures.
type demoImpl struct{}

func (demoImpl) SayHello(name string) (string, error) {
	if strings.HasPrefix(name, "error") {
		return "", &JavaException{Class: "java.lang.IllegalArgumentException", Message: "boom: " + name}
	}
	return "Hello " + name, nil
}

// exchange sends a captured consumer stream to addr and reads n frames back.
func exchange(t *testing.T, addr string, stream []byte, n int) [][]byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write(stream)
	require.NoError(t, err)
	_ = c.SetReadDeadline(time.Now().Add(testutil.DefaultTimeout))
	fr := NewFrameReader(c, 0, "test")
	var out [][]byte
	for range n {
		h, body, err := fr.ReadFrame()
		require.NoError(t, err)
		out = append(out, append(AppendHeader(nil, h), body...))
	}
	return out
}

func hexes(frames [][]byte) []string {
	out := make([]string, len(frames))
	for i, f := range frames {
		out[i] = hex.EncodeToString(f)
	}
	return out
}

// TestGoldenProviderDemo answers the captured Java consumer streams from a
// fleet provider and gets Java's bytes back.
func TestGoldenProviderDemo(t *testing.T) {
	p := newProto(t)
	exp := exportImpl(t, p, common.MustParse("dubbo://127.0.0.1:0/org.apache.dubbo.demo.DemoService"), demoImpl{})
	addr := exp.URL().Address()

	for _, name := range []string{"sayHello", "heartbeat"} {
		t.Run(name, func(t *testing.T) {
			c2s, err := os.ReadFile(filepath.Join(captures, name+"-c2s.bin"))
			require.NoError(t, err)
			var want [][]byte
			for _, f := range loadFrames(t) {
				if f.file == filepath.Join(captures, name+"-frames.txt") && !f.c2s {
					want = append(want, f.raw)
				}
			}
			got := exchange(t, addr, c2s, len(want))
			// Heartbeats are answered by the reader, calls by a worker: the
			// order on the wire may differ, the frames may not.
			require.ElementsMatch(t, hexes(want), hexes(got))
		})
	}

	t.Run("exception", func(t *testing.T) {
		c2s, err := os.ReadFile(filepath.Join(captures, "exception-c2s.bin"))
		require.NoError(t, err)
		got := exchange(t, addr, c2s, 1)
		// Java's answer carries a 30-frame JDK stack trace; fleet's carries
		// none, so only the meaning is compared.
		resp := decodeResp(t, got[0])
		javaResp := decodeResp(t, readHex(t, "exception-response.hex"))
		je, javaJE := resp.Exception.(*JavaException), javaResp.Exception.(*JavaException)
		require.Equal(t, javaJE.Class, je.Class)
		require.Equal(t, javaJE.Message, je.Message)
		require.Equal(t, javaResp.Attachments, resp.Attachments)
	})
}

// TestGoldenProviderUserService answers every captured UserService request
// from the Go userImpl: scalar answers are byte-identical to Java's, the
// others decode to the same values.
func TestGoldenProviderUserService(t *testing.T) {
	p := newProto(t)
	impl := &userImpl{}
	exp := exportImpl(t, p, common.MustParse("dubbo://127.0.0.1:0/"+userService), impl)
	addr := exp.URL().Address()
	exportImpl(t, p, exp.URL().WithParams(map[string]string{"group": "g1", "version": "1.0.0"}), impl)

	byteExact := map[string]bool{"add": true, "addLong": true, "flip": true, "half": true, "echoBytes": true,
		"echoNull": true, "echo": true, "ping": true}
	files, err := filepath.Glob(filepath.Join(captures, "userservice", "*-c2s.bin"))
	require.NoError(t, err)
	require.Len(t, files, 16)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), "-c2s.bin")
		t.Run(name, func(t *testing.T) {
			c2s, err := os.ReadFile(f)
			require.NoError(t, err)
			want := readHex(t, "userservice/"+name+"-response.hex")
			got := exchange(t, addr, c2s, 1)[0]
			if byteExact[name] {
				require.Equal(t, hex.EncodeToString(want), hex.EncodeToString(got))
				return
			}
			resp, javaResp := decodeResp(t, got), decodeResp(t, want)
			require.Equal(t, javaResp.Attachments, resp.Attachments)
			if javaResp.Exception != nil {
				je, javaJE := resp.Exception.(*JavaException), javaResp.Exception.(*JavaException)
				require.Equal(t, javaJE.Class, je.Class)
				require.Equal(t, javaJE.Message, je.Message)
				return
			}
			require.Nil(t, resp.Exception)
			require.Equal(t, normalize(javaResp.Value), normalize(resp.Value))
			if !bytes.Equal(want, got) {
				t.Logf("%s: same values, different bytes (Go map order, Go []string written as a Hessian typed array)", name)
			}
		})
	}
}
