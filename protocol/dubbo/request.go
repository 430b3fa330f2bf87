package dubbo

import (
	"errors"
	"fmt"
	"io"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/fleetrpc/fleet/protocol"
)

// DubboVersion is the protocol version a request carries ("2.0.2" in Dubbo
// 2.6, 2.7 and 3.x alike).
const DubboVersion = "2.0.2"

// maxEventSize is deserialization.event.size: the largest event body read.
const maxEventSize = 15

// Request is one request frame: a call, or an event (heartbeat, read-only).
type Request struct {
	ID     int64
	TwoWay bool // false for one-way calls (return=false)
	Event  bool // a heartbeat (EventData nil) or another event
	// EventData is an event's payload: nil for a heartbeat, "R" for the
	// read-only event.
	EventData any

	DubboVersion   string // protocol version, DubboVersion when empty
	Path           string // service name (interface, else path)
	ServiceVersion string // service version, "0.0.0" when none
	Method         string
	Desc           string // JVM parameter descriptor, "" for none
	Args           []any  // one per parameter of Desc
	// Attachments are written in order as an untyped map.
	Attachments []protocol.Attachment
}

// IsHeartbeat reports whether r is a heartbeat event.
func (r *Request) IsHeartbeat() bool { return r.Event && r.EventData == nil }

// EncodeRequest appends the frame of r (header and body) to dst. A body
// over limit (> 0) fails with a *PayloadError naming channel; dst is then
// returned unchanged.
func EncodeRequest(dst []byte, r *Request, limit int, channel string) ([]byte, error) {
	start := len(dst)
	e := encoder{buf: append(dst, make([]byte, HeaderLen)...)}
	err := encodeRequestBody(&e, r)
	e.release()
	if err != nil {
		return dst, fmt.Errorf("encode request: %w", err)
	}
	n := len(e.buf) - start - HeaderLen
	if err := checkPayload(n, limit, channel); err != nil {
		return dst, err
	}
	AppendHeader(e.buf[start:start], Header{Request: true, TwoWay: r.TwoWay, Event: r.Event,
		Serialization: Hessian2ID, ID: r.ID, BodyLen: n})
	return e.buf, nil
}

func encodeRequestBody(e *encoder, r *Request) error {
	if r.Event {
		return writeValue(e, r.EventData)
	}
	v := r.DubboVersion
	if v == "" {
		v = DubboVersion
	}
	sv := r.ServiceVersion
	if sv == "" {
		sv = "0.0.0"
	}
	for _, s := range [...]string{v, r.Path, sv, r.Method, r.Desc} {
		if err := writeString(e, s); err != nil {
			return err
		}
	}
	desc := r.Desc
	n, err := countDesc(desc)
	if err != nil {
		return err
	}
	if n != len(r.Args) {
		return fmt.Errorf("%d arguments for parameter descriptor %q", len(r.Args), desc)
	}
	for i, a := range r.Args {
		var tok string
		tok, desc = nextDesc(desc)
		if err := writeArg(e, tok, a); err != nil {
			return fmt.Errorf("argument %d (%s): %w", i, descToJavaName(tok), err)
		}
	}
	e.buf = append(e.buf, tagMap)
	for _, a := range r.Attachments {
		if err := writeString(e, a.Key); err != nil {
			return err
		}
		if err := writeValue(e, a.Value); err != nil {
			return fmt.Errorf("attachment %s: %w", a.Key, err)
		}
	}
	e.buf = append(e.buf, tagEnd)
	return nil
}

// DecodeRequestBody decodes the body of a request frame with header h into
// r (whose ID, TwoWay and Event it sets from h). Arguments are decoded as
// the Hessian library returns them (a registered POJO as its Go type, an
// unregistered one as a map with its class under "_class"); attachments
// keep the order of the wire.
func DecodeRequestBody(h Header, body []byte, r *Request) error {
	return decodeRequest(h, body, r, requestBufs{fast: true})
}

// requestBufs are what a connection's reader lends decodeRequest: storage
// for the arguments and attachments (appended to; fresh slices are made
// when nil), its string table, and whether the common bodies may be read
// without the Hessian library (false only in tests comparing both ways).
type requestBufs struct {
	args []any
	atts []protocol.Attachment
	strs *strTable
	fast bool
}

func decodeRequest(h Header, body []byte, r *Request, bufs requestBufs) error {
	*r = Request{ID: h.ID, TwoWay: h.TwoWay, Event: h.Event}
	if h.Serialization != Hessian2ID {
		return fmt.Errorf("unsupported serialization id %d", h.Serialization)
	}
	if h.Event {
		if len(body) > maxEventSize {
			return fmt.Errorf("event body of %d bytes exceeds %d", len(body), maxEventSize)
		}
		if err := checkHessian(body); err != nil {
			return err
		}
		d := getDecoder(body)
		v, err := decodeValue(d)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		r.EventData = v
		return nil
	}
	// The five leading strings are read here (they are plain strings, which
	// take no reference or class number), the rest by the Hessian library
	// unless they are of the common kinds scanArgs reads. The scanner needs
	// no vetting; what goes to the library is vetted by checkHessian first.
	var fields [5]string
	rest := body
	for i := range fields {
		raw, n, ok := scanString(rest)
		if !ok {
			// Not the common form: let the library read them all.
			rest = nil
			break
		}
		fields[i], rest = bufs.strs.str(raw), rest[n:]
	}
	if len(rest) == 0 && rest != nil {
		rest = []byte{} // a call without arguments or attachments
	}
	if rest != nil && bufs.fast {
		r.DubboVersion, r.Path, r.ServiceVersion, r.Method, r.Desc = fields[0], fields[1], fields[2], fields[3], fields[4]
		if n, err := countDesc(r.Desc); err == nil {
			if cap(bufs.args) < n {
				bufs.args = make([]any, 0, n)
			}
			if args, atts, ok := scanArgs(rest, n, bufs.args, bufs.atts, bufs.strs); ok {
				if n > 0 {
					r.Args = args
				}
				if len(atts) > 0 {
					r.Attachments = atts
				}
				return nil
			}
		}
	}
	if err := checkHessian(body); err != nil {
		return err
	}
	var d *hessian.Decoder
	if rest == nil {
		d = getDecoder(body)
		for i := range fields {
			v, err := decodeValue(d)
			if err != nil {
				return fmt.Errorf("read request field %d: %w", i+1, err)
			}
			s, ok := v.(string)
			if !ok && v != nil {
				return fmt.Errorf("request field %d is %T, not a string", i+1, v)
			}
			fields[i] = s
		}
	}
	r.DubboVersion, r.Path, r.ServiceVersion, r.Method, r.Desc = fields[0], fields[1], fields[2], fields[3], fields[4]
	n, err := countDesc(r.Desc)
	if err != nil {
		return err
	}
	if cap(bufs.args) < n {
		bufs.args = make([]any, 0, n)
	}
	if d == nil {
		d = getDecoder(rest)
	}
	if n > 0 {
		r.Args = bufs.args[:0]
	}
	for i := range n {
		v, err := decodeValue(d)
		if err != nil {
			return fmt.Errorf("read argument %d: %w", i, err)
		}
		r.Args = append(r.Args, v)
	}
	atts, err := readAttachments(d, bufs.atts[:0])
	if err != nil {
		return fmt.Errorf("read attachments: %w", err)
	}
	if len(atts) > 0 {
		r.Attachments = atts
	}
	return nil
}

// readAttachments reads an attachment map keeping the order of the wire:
// 'H' (or 'M' type) key value … 'Z', or 'N', or nothing at all.
func readAttachments(d *hessian.Decoder, atts []protocol.Attachment) (out []protocol.Attachment, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("malformed hessian value: %v", p)
		}
	}()
	tag, err := d.ReadByte()
	if err != nil {
		return nil, nil // no attachments
	}
	switch tag {
	case tagNull:
		return nil, nil
	case tagMap:
	case 'M':
		if _, err := d.Decode(); err != nil { // the map's type name
			return nil, err
		}
	default:
		return nil, fmt.Errorf("attachments start with tag 0x%02x, not a map", tag)
	}
	for {
		k, err := d.Decode()
		if errors.Is(err, io.EOF) {
			return atts, nil // 'Z'
		}
		if err != nil {
			return nil, err
		}
		v, err := d.Decode()
		if err != nil {
			return nil, err
		}
		if ks, ok := k.(string); ok {
			if atts == nil {
				atts = make([]protocol.Attachment, 0, 8)
			}
			atts = append(atts, protocol.Attachment{Key: ks, Value: v})
		}
	}
}
