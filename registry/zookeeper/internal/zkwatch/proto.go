package zkwatch

// Operation codes of the requests this package sends.
const (
	opPing         int32 = 11
	opGetChildren2 int32 = 12
	opSetAuth      int32 = 100
	opAddWatch     int32 = 106
	opCloseSession int32 = -11
)

// Reserved xids of frames that are not replies to a numbered request.
const (
	xidNotification int32 = -1
	xidPing         int32 = -2
	xidAuth         int32 = -4
)

// WatchMode is addWatch's mode.
type WatchMode int32

// The modes of addWatch.
const (
	Persistent          WatchMode = 0
	PersistentRecursive WatchMode = 1
)

// EventType is a notification's type (Watcher.Event.EventType).
type EventType int32

// The notification types ZooKeeper sends.
const (
	EventNodeCreated            EventType = 1
	EventNodeDeleted            EventType = 2
	EventNodeDataChanged        EventType = 3
	EventNodeChildrenChanged    EventType = 4
	EventDataWatchRemoved       EventType = 5
	EventChildWatchRemoved      EventType = 6
	EventPersistentWatchRemoved EventType = 7
)

// Event is one notification: a WatcherEvent {int type; int state; ustring
// path}, numbered by its place among the frames the session read.
type Event struct {
	Type  EventType
	State int32
	Path  string
	Seq   uint64
}

// Stat is the part of a node's Stat a reader of children needs.
type Stat struct {
	Cversion    int32
	NumChildren int32
	Pzxid       int64
}

// replyHeaderLen is a reply header's size: xid int, zxid long, err int.
const replyHeaderLen = 16

// connectRequest encodes ConnectRequest {int protocolVersion; long
// lastZxidSeen; int timeOut; long sessionId; buffer passwd; boolean
// readOnly}: always a new session, having seen nothing.
func connectRequest(timeoutMS int32) []byte {
	var e encoder
	e.int32(0) // frame length, set below
	e.int32(0) // protocol version
	e.int64(0) // last zxid seen
	e.int32(timeoutMS)
	e.int64(0)                 // session id: a new one
	e.buffer(make([]byte, 16)) // password of no session
	e.bool(false)              // not read-only
	return withLength(e.b)
}

// connectResponse is ConnectResponse {int protocolVersion; int timeOut;
// long sessionId; buffer passwd} (a read-only flag may follow).
type connectResponse struct {
	timeoutMS int32
	sessionID int64
}

func decodeConnectResponse(b []byte) (connectResponse, error) {
	d := decoder{b: b}
	d.int32()
	r := connectResponse{timeoutMS: d.int32(), sessionID: d.int64()}
	d.bytes("password")
	return r, d.err
}

// replyHeader is ReplyHeader {int xid; long zxid; int err}.
type replyHeader struct {
	xid  int32
	zxid int64
	err  int32
}

func decodeReplyHeader(d *decoder) replyHeader {
	return replyHeader{xid: d.int32(), zxid: d.int64(), err: d.int32()}
}

func decodeEvent(d *decoder) Event {
	return Event{Type: EventType(d.int32()), State: d.int32(), Path: d.string()}
}

// decodeStat reads Stat {long czxid, mzxid, ctime, mtime; int version,
// cversion, aversion; long ephemeralOwner; int dataLength, numChildren;
// long pzxid}.
func decodeStat(d *decoder) Stat {
	d.int64()
	d.int64()
	d.int64()
	d.int64()
	d.int32()
	var st Stat
	st.Cversion = d.int32()
	d.int32()
	d.int64()
	d.int32()
	st.NumChildren = d.int32()
	st.Pzxid = d.int64()
	return st
}

// decodeChildren2 reads GetChildren2Response {vector<ustring> children;
// Stat stat}.
func decodeChildren2(b []byte) ([]string, Stat, error) {
	d := decoder{b: b}
	names := d.strings()
	st := decodeStat(&d)
	if d.err != nil {
		return nil, Stat{}, d.err
	}
	return names, st, nil
}

// request encodes a request frame: its length, RequestHeader {int xid;
// int type}, then body.
func request(xid, op int32, body func(*encoder)) []byte {
	var e encoder
	e.int32(0)
	e.int32(xid)
	e.int32(op)
	if body != nil {
		body(&e)
	}
	return withLength(e.b)
}

// withLength writes the frame's length into its first four bytes.
func withLength(b []byte) []byte {
	n := uint32(len(b) - 4)
	b[0], b[1], b[2], b[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return b
}
