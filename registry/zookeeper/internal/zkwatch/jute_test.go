package zkwatch

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
)

// children2 encodes a GetChildren2Response of names with pzxid.
func children2(names []string, pzxid int64) []byte {
	var e encoder
	e.int32(int32(len(names)))
	for _, n := range names {
		e.string(n)
	}
	for range 4 {
		e.int64(7) // czxid, mzxid, ctime, mtime
	}
	e.int32(1)                 // version
	e.int32(int32(len(names))) // cversion
	e.int32(0)                 // aversion
	e.int64(0)                 // ephemeralOwner
	e.int32(0)                 // dataLength
	e.int32(int32(len(names)))
	e.int64(pzxid)
	return e.b
}

func TestDecodeChildren2(t *testing.T) {
	good := children2([]string{"a", "b%2Fc", ""}, 42)
	names, st, err := decodeChildren2(good)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b%2Fc", ""}, names)
	require.Equal(t, int64(42), st.Pzxid)
	require.Equal(t, int32(3), st.NumChildren)

	huge := binary.BigEndian.AppendUint32(nil, 0x7fffffff) // two billion names in 4 bytes
	long := binary.BigEndian.AppendUint32(nil, 1)
	long = binary.BigEndian.AppendUint32(long, 0x7ffffff0) // one name longer than the frame
	cases := map[string][]byte{
		"empty":             nil,
		"count only":        good[:4],
		"count beyond":      huge,
		"name beyond":       long,
		"negative name len": append(binary.BigEndian.AppendUint32(nil, 1), 0xff, 0xff, 0xff, 0xfe),
		"no stat":           good[:len(good)-68],
		"stat cut":          good[:len(good)-1],
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := decodeChildren2(b)
			require.ErrorIs(t, err, ErrBadFrame)
		})
	}
	// Every prefix of a good reply fails cleanly.
	for i := range good {
		_, _, err := decodeChildren2(good[:i])
		require.ErrorIs(t, err, ErrBadFrame, "prefix of %d bytes", i)
	}
}

func TestDecodeEventAndHeader(t *testing.T) {
	var e encoder
	e.int32(xidNotification)
	e.int64(-1)
	e.int32(0)
	e.int32(int32(EventNodeCreated))
	e.int32(3)
	e.string("/dubbo/a/providers/x")
	d := decoder{b: e.b}
	h := decodeReplyHeader(&d)
	ev := decodeEvent(&d)
	require.NoError(t, d.err)
	require.Equal(t, xidNotification, h.xid)
	require.Equal(t, Event{Type: EventNodeCreated, State: 3, Path: "/dubbo/a/providers/x"}, ev)
	for i := range e.b {
		d := decoder{b: e.b[:i]}
		decodeReplyHeader(&d)
		decodeEvent(&d)
		require.ErrorIs(t, d.err, ErrBadFrame, "prefix of %d bytes", i)
	}
}

func TestReadFrameBounds(t *testing.T) {
	frame := func(n int32, body []byte) *bytes.Reader {
		return bytes.NewReader(append(binary.BigEndian.AppendUint32(nil, uint32(n)), body...))
	}
	b, err := readFrame(frame(3, []byte("abc")), 0, 10)
	require.NoError(t, err)
	require.Equal(t, []byte("abc"), b)
	_, err = readFrame(frame(11, nil), 0, 10)
	require.ErrorIs(t, err, ErrBadFrame, "above the cap: refused before allocating")
	_, err = readFrame(frame(-5, nil), 0, 10)
	require.ErrorIs(t, err, ErrBadFrame)
	_, err = readFrame(frame(2, nil), 16, 100)
	require.ErrorIs(t, err, ErrBadFrame, "below a reply header")
	_, err = readFrame(frame(5, []byte("ab")), 0, 10)
	require.Error(t, err, "truncated body")
}

func FuzzDecodeChildren2(f *testing.F) {
	f.Add(children2([]string{"a", "b"}, 1))
	f.Add(children2(nil, 0))
	f.Add([]byte{0x7f, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		names, _, err := decodeChildren2(b)
		if err != nil {
			require.ErrorIs(t, err, ErrBadFrame)
			return
		}
		total := 0
		for _, n := range names {
			total += 4 + len(n)
		}
		require.LessOrEqual(t, total, len(b), "names never take more than the input")
	})
}

func FuzzDispatch(f *testing.F) {
	var e encoder
	e.int32(xidNotification)
	e.int64(-1)
	e.int32(0)
	e.int32(1)
	e.int32(3)
	e.string("/a")
	f.Add(e.b)
	f.Add(make([]byte, 16))
	f.Fuzz(func(t *testing.T, frame []byte) {
		s := &Session{pending: map[int32]chan reply{}, onEvent: func(Event) {}}
		_ = s.dispatch(1, frame) // an error or nothing; never a panic
	})
}
