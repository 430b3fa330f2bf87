package dubbo

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	hessian "github.com/apache/dubbo-go-hessian2"
)

// Response statuses (wire.md §3).
const (
	StatusOK                  byte = 20
	StatusClientTimeout       byte = 30
	StatusServerTimeout       byte = 31
	StatusChannelInactive     byte = 35
	StatusBadRequest          byte = 40
	StatusBadResponse         byte = 50
	StatusServiceNotFound     byte = 60
	StatusServiceError        byte = 70
	StatusServerError         byte = 80
	StatusClientError         byte = 90
	StatusThreadpoolExhausted byte = 100
)

// Response body flags (the Hessian int that starts an OK body).
const (
	flagException         = 0
	flagValue             = 1
	flagNull              = 2
	flagExceptionWithAtts = 3
	flagValueWithAtts     = 4
	flagNullWithAtts      = 5
)

// Response is one response frame.
type Response struct {
	ID     int64
	Status byte
	Event  bool // a heartbeat answer

	// For Status OK and not an event:
	Value any // the returned value, nil for null and void
	// Exception is the decoded Java exception (flags 0 and 3); when
	// encoding, an error to send as one (see ExceptionOf).
	Exception error
	// Attachments are the response attachments (flags 3–5).
	Attachments map[string]any

	// ErrorMessage is the body of a non-OK status.
	ErrorMessage string
}

// supportsResponseAttachments reports whether a request of this protocol
// version can take response flags 3–5: versions in [2.0.2, 2.0.99], dot
// parts weighted by powers of 100, three-part versions times 100.
func supportsResponseAttachments(v string) bool {
	if v == DubboVersion {
		return true // the usual case, without parsing
	}
	n := intVersion(v)
	return n >= 2000200 && n <= 2009900
}

func intVersion(v string) int {
	if v == "" {
		return 0
	}
	parts := strings.Split(v, ".")
	n := 0
	for _, p := range parts {
		// a part like "0-SNAPSHOT" counts by its leading digits
		end := 0
		for end < len(p) && p[end] >= '0' && p[end] <= '9' {
			end++
		}
		d, _ := strconv.Atoi(p[:end])
		n = n*100 + d
	}
	if len(parts) == 3 {
		n *= 100
	}
	return n
}

// EncodeResponse appends the frame of r to dst. withAttachments chooses
// the body flags 3–5 (the request's version supports them); the attachment
// dubbo=2.0.2 is then added. A body over limit (> 0) is replaced by a
// status-50 answer carrying the *PayloadError message, which is also
// returned.
func EncodeResponse(dst []byte, r *Response, withAttachments bool, limit int, channel string) ([]byte, error) {
	start := len(dst)
	bodyStart := start + HeaderLen
	e := encoder{buf: append(dst, make([]byte, HeaderLen)...)}
	status := r.Status
	if err := encodeResponseBody(&e, r, withAttachments); err != nil {
		// Java answers BAD_RESPONSE with the encoding error.
		e.truncate(bodyStart)
		status = StatusBadResponse
		_ = writeString(&e, fmt.Sprintf("Failed to send response: %v, cause: %v", r.ID, err))
	}
	perr := checkPayload(len(e.buf)-bodyStart, limit, channel)
	if perr != nil {
		e.truncate(bodyStart)
		status = StatusBadResponse
		_ = writeString(&e, perr.Error())
	}
	e.release()
	AppendHeader(e.buf[start:start], Header{Event: r.Event, Serialization: Hessian2ID, Status: status,
		ID: r.ID, BodyLen: len(e.buf) - bodyStart})
	return e.buf, perr
}

func encodeResponseBody(e *encoder, r *Response, withAtts bool) error {
	if r.Event {
		return writeValue(e, r.Value)
	}
	if r.Status != StatusOK {
		return writeString(e, r.ErrorMessage)
	}
	var flag byte
	switch {
	case r.Exception != nil:
		flag = flagException
	case isNil(r.Value):
		flag = flagNull
	default:
		flag = flagValue
	}
	if withAtts {
		flag += 3
	}
	e.buf = append(e.buf, 0x90+flag) // the one-byte int
	switch flag {
	case flagException, flagExceptionWithAtts:
		if err := writeException(e, r.Exception); err != nil {
			return err
		}
	case flagValue, flagValueWithAtts:
		if err := writeValue(e, r.Value); err != nil {
			return err
		}
	}
	if !withAtts {
		return nil
	}
	e.buf = append(e.buf, tagMap)
	_ = writeString(e, "dubbo")
	_ = writeString(e, DubboVersion)
	if len(r.Attachments) > 0 {
		for _, k := range slices.Sorted(maps.Keys(r.Attachments)) {
			if k == "dubbo" {
				continue
			}
			if err := writeString(e, k); err != nil {
				return err
			}
			if err := writeValue(e, r.Attachments[k]); err != nil {
				return err
			}
		}
	}
	e.buf = append(e.buf, tagEnd)
	return nil
}

// DecodeResponseBody decodes the body of a response frame with header h
// into r. A body that cannot be decoded is an error; the caller turns it
// into status 90 (client error) for the call.
func DecodeResponseBody(h Header, body []byte, r *Response) error {
	return decodeResponse(h, body, r, nil, true)
}

// decodeResponse is DecodeResponseBody with the string table of the
// connection's reader, and without the fast path for the common bodies
// when fast is false (tests comparing both ways).
func decodeResponse(h Header, body []byte, r *Response, strs *strTable, fast bool) error {
	*r = Response{ID: h.ID, Status: h.Status, Event: h.Event}
	if h.Serialization != Hessian2ID {
		return fmt.Errorf("unsupported serialization id %d", h.Serialization)
	}
	if h.Event && len(body) > maxEventSize {
		return fmt.Errorf("event body of %d bytes exceeds %d", len(body), maxEventSize)
	}
	if fast && !h.Event && h.Status == StatusOK && scanResponse(body, r, strs) {
		return nil // the scanner needs no vetting
	}
	if err := checkHessian(body); err != nil {
		return err
	}
	if h.Event {
		v, err := decodeValue(getDecoder(body))
		if err != nil && len(body) > 0 {
			return err
		}
		r.Value = v
		return nil
	}
	if h.Status != StatusOK {
		if s, _, ok := readString(body); ok {
			r.ErrorMessage = s
			return nil
		}
		v, err := decodeValue(getDecoder(body))
		if err != nil {
			return fmt.Errorf("read error message: %w", err)
		}
		s, ok := v.(string)
		if !ok && v != nil {
			s = fmt.Sprint(v)
		}
		r.ErrorMessage = s
		return nil
	}
	var flag int32
	var d *hessian.Decoder
	if len(body) > 0 && body[0] >= 0x80 && body[0] <= 0xbf {
		// The usual one-byte int: the library reads what follows.
		flag = int32(body[0]) - 0x90
		d = getDecoder(body[1:])
	} else {
		d = getDecoder(body)
		v, err := decodeValue(d)
		if err != nil {
			return fmt.Errorf("read response flag: %w", err)
		}
		f, ok := v.(int32)
		if !ok {
			//lint:ignore ST1005 Dubbo's own message, verbatim (wire.md §5)
			return fmt.Errorf("Unknown result flag, expect '0' '1' '2' '3' '4' '5', but received: %v", v)
		}
		flag = f
	}
	var err error
	switch flag {
	case flagException, flagExceptionWithAtts:
		v, err := decodeValue(d)
		if err != nil {
			return fmt.Errorf("read exception: %w", err)
		}
		r.Exception = exceptionFromValue(v)
	case flagValue, flagValueWithAtts:
		if r.Value, err = decodeValue(d); err != nil {
			return fmt.Errorf("read value: %w", err)
		}
	case flagNull, flagNullWithAtts:
	default:
		//lint:ignore ST1005 Dubbo's own message, verbatim (wire.md §5)
		return fmt.Errorf("Unknown result flag, expect '0' '1' '2' '3' '4' '5', but received: %d", flag)
	}
	if flag >= flagExceptionWithAtts {
		v, err := decodeValue(d)
		if err != nil {
			return fmt.Errorf("read attachments: %w", err)
		}
		m, ok := stringMap(v)
		if !ok {
			return fmt.Errorf("response attachments are %T, not a map", v)
		}
		r.Attachments = m
	}
	return nil
}
