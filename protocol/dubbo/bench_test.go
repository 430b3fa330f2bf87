package dubbo

import (
	"context"
	"io"
	"net"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/protocol"
)

func benchRequest() *Request {
	return &Request{ID: 1, TwoWay: true, Path: "org.apache.dubbo.demo.DemoService", Method: "sayHello",
		Desc: "Ljava/lang/String;", Args: []any{"world"}, Attachments: []protocol.Attachment{
			{Key: "path", Value: "org.apache.dubbo.demo.DemoService"},
			{Key: "remote.application", Value: "interop-java-consumer"},
			{Key: "interface", Value: "org.apache.dubbo.demo.DemoService"},
			{Key: "version", Value: "0.0.0"},
			{Key: "timeout", Value: "1000"},
		}}
}

func BenchmarkEncodeRequest(b *testing.B) {
	req := benchRequest()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = EncodeRequest(buf[:0], req, DefaultPayload, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeRequest decodes a request body as DecodeRequestBody does
// (fresh), and as a provider connection's reader does (conn: its string
// table and the call's room for arguments and attachments).
func BenchmarkDecodeRequest(b *testing.B) {
	frame, err := EncodeRequest(nil, benchRequest(), 0, "")
	if err != nil {
		b.Fatal(err)
	}
	h, _ := ParseHeader(frame)
	b.Run("fresh", func(b *testing.B) {
		b.ReportAllocs()
		var r Request
		for b.Loop() {
			if err := DecodeRequestBody(h, frame[HeaderLen:], &r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("conn", func(b *testing.B) {
		b.ReportAllocs()
		strs := &strTable{}
		var c serverCall
		for b.Loop() {
			if err := decodeRequest(h, frame[HeaderLen:], &c.req, requestBufs{args: c.args[:0], atts: c.atts[:0], strs: strs, fast: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncodeResponse(b *testing.B) {
	for _, c := range []struct {
		name  string
		value any
	}{{"string", "Hello world"}, {"User", user(7)}} {
		b.Run(c.name, func(b *testing.B) {
			resp := &Response{ID: 1, Status: StatusOK, Value: c.value}
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = EncodeResponse(buf[:0], resp, true, DefaultPayload, "bench"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeResponse decodes response bodies as a consumer
// connection's reader does (with its string table).
func BenchmarkDecodeResponse(b *testing.B) {
	for _, c := range []struct {
		name  string
		value any
	}{{"string", "Hello world"}, {"User", user(7)}} {
		b.Run(c.name, func(b *testing.B) {
			frame, err := EncodeResponse(nil, &Response{ID: 1, Status: StatusOK, Value: c.value}, true, 0, "")
			if err != nil {
				b.Fatal(err)
			}
			h, _ := ParseHeader(frame)
			b.ReportAllocs()
			var r Response
			strs := &strTable{} // as a connection's reader has
			for b.Loop() {
				if err := decodeResponse(h, frame[HeaderLen:], &r, strs, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type helloImpl struct{}

func (helloImpl) SayHello(name string) (string, error) { return "Hello " + name, nil }

// BenchmarkLoopback measures fleet → fleet calls over loopback TCP with 1,
// 32 and 128 concurrent callers on one shared connection: calls/s, the p50
// and p99 latency of a call, the process CPU per call, and the write(2) and
// read(2) calls per call of each end (counted on the net.Conn of the
// consumer, c-, and of the provider, p-).
func BenchmarkLoopback(b *testing.B) { benchLoopback(b, "", 1, 32, 128) }

// BenchmarkLoopbackDirect is BenchmarkLoopback with dispatcher=direct on
// the provider: calls run on the connection's reader, no worker hand-off.
func BenchmarkLoopbackDirect(b *testing.B) { benchLoopback(b, "&dispatcher=direct", 1, 32) }

// BenchmarkLoopbackCancelable is BenchmarkLoopback at one caller with a
// context that can be cancelled (as a server's request context): a caller
// reading its own answer then registers to be interrupted by it.
func BenchmarkLoopbackCancelable(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	benchLoopbackCtx(b, ctx, "", 1)
}

func benchLoopback(b *testing.B, params string, callerCounts ...int) {
	benchLoopbackCtx(b, context.Background(), params, callerCounts...)
}

func benchLoopbackCtx(b *testing.B, ctx context.Context, params string, callerCounts ...int) {
	var consumer, provider ioCounts
	server := New(WithLogger(quietLogger()), WithGracePeriod(2*time.Second), withListen(provider.listen))
	b.Cleanup(server.Destroy)
	client := New(WithLogger(quietLogger()), WithDialer(consumer.dial))
	b.Cleanup(client.Destroy)
	u := exportImpl(b, server, common.MustParse("dubbo://127.0.0.1:0/org.apache.dubbo.demo.DemoService?timeout=5000"+params), helloImpl{}).URL()
	inv := refer(b, client, u)
	inv0 := protocol.NewInvocation("sayHello", "world").WithParameterTypes("java.lang.String")
	if res := inv.Invoke(context.Background(), inv0); res.Error() != nil {
		b.Fatal(res.Error())
	}
	for _, callers := range callerCounts {
		b.Run("callers="+strconv.Itoa(callers), func(b *testing.B) {
			c0, p0 := consumer.snapshot(), provider.snapshot()
			runCallers(b, callers, func() error { return inv.Invoke(ctx, inv0).Error() })
			c1, p1 := consumer.snapshot(), provider.snapshot()
			n := float64(b.N)
			b.ReportMetric(float64(c1.writes-c0.writes)/n, "c-writes/call")
			b.ReportMetric(float64(c1.reads-c0.reads)/n, "c-reads/call")
			b.ReportMetric(float64(p1.writes-p0.writes)/n, "p-writes/call")
			b.ReportMetric(float64(p1.reads-p0.reads)/n, "p-reads/call")
		})
	}
}

// withListen sets the function provider servers listen with.
func withListen(listen func(network, address string) (net.Listener, error)) Option {
	return func(o *options) { o.listen = listen }
}

// ioCounts counts the Write and Read calls on the connections of one end.
// Each is one write(2) or read(2): a net.Conn's Write writes everything
// in one system call unless the socket buffer is full.
type ioCounts struct{ writes, reads atomic.Int64 }

type ioSnapshot struct{ writes, reads int64 }

func (c *ioCounts) snapshot() ioSnapshot { return ioSnapshot{c.writes.Load(), c.reads.Load()} }

func (c *ioCounts) dial(ctx context.Context, network, address string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: nc, counts: c}, nil
}

func (c *ioCounts) listen(network, address string) (net.Listener, error) {
	ln, err := net.Listen(network, address)
	if err != nil {
		return nil, err
	}
	return &countingListener{Listener: ln, counts: c}, nil
}

type countingListener struct {
	net.Listener
	counts *ioCounts
}

func (l *countingListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: nc, counts: l.counts}, nil
}

type countingConn struct {
	net.Conn
	counts *ioCounts
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.counts.writes.Add(1)
	return c.Conn.Write(b)
}

func (c *countingConn) Read(b []byte) (int, error) {
	c.counts.reads.Add(1)
	return c.Conn.Read(b)
}

// runCallers makes b.N calls from callers goroutines and reports calls/s,
// p50, p99 and the process CPU time per call (consumer and provider).
func runCallers(b *testing.B, callers int, call func() error) {
	b.ReportAllocs()
	var next atomic.Int64
	lat := make([][]time.Duration, callers)
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	cpu0 := testutil.ProcessCPU()
	start := time.Now()
	for g := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, b.N/callers+1)
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if err := call(); err != nil {
					failed.Store(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			lat[g] = mine
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := testutil.ProcessCPU() - cpu0
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/call")
}

// BenchmarkBatchWrite compares the two ways of writing a batch of frames
// in one system call over loopback TCP: copying them into one buffer and
// calling Write (what transport does), or net.Buffers (writev) over the
// frames where they lie. A batch is 16 frames of the given size.
func BenchmarkBatchWrite(b *testing.B) {
	for _, size := range []int{256, 4 << 10, 32 << 10} {
		frames := make([][]byte, 16)
		for i := range frames {
			frames[i] = make([]byte, size)
		}
		for _, mode := range []string{"copy", "writev"} {
			b.Run(mode+"/frame="+strconv.Itoa(size), func(b *testing.B) {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				defer ln.Close()
				drained := make(chan struct{})
				go func() {
					defer close(drained)
					c, err := ln.Accept()
					if err != nil {
						return
					}
					defer c.Close()
					buf := make([]byte, 256<<10)
					for {
						if _, err := c.Read(buf); err != nil {
							return
						}
					}
				}()
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					b.Fatal(err)
				}
				var batch []byte
				var bufs net.Buffers
				b.SetBytes(int64(16 * size))
				b.ReportAllocs()
				for b.Loop() {
					if mode == "copy" {
						batch = batch[:0]
						for _, f := range frames {
							batch = append(batch, f...)
						}
						_, err = c.Write(batch)
					} else {
						bufs = append(bufs[:0], frames...)
						_, err = bufs.WriteTo(c)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				_ = c.Close()
				<-drained
			})
		}
	}
}

// BenchmarkTCPEcho is the floor for BenchmarkLoopback at one caller: a
// raw TCP exchange over the same loopback, a 239-byte request answered by
// a 43-byte reply (the sizes of the captured sayHello frames), one write
// and one read at each end, no codec.
func BenchmarkTCPEcho(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	served := make(chan struct{})
	go func() {
		defer close(served)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		req, reply := make([]byte, 239), make([]byte, 43)
		for {
			if _, err := io.ReadFull(c, req); err != nil {
				return
			}
			if _, err := c.Write(reply); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	req, reply := make([]byte, 239), make([]byte, 43)
	runCallers(b, 1, func() error {
		if _, err := c.Write(req); err != nil {
			return err
		}
		_, err := io.ReadFull(c, reply)
		return err
	})
	_ = c.Close()
	<-served
}
