package protocol

// Attachment is one key and value carried beside a call's arguments
// (Dubbo's attachments: path, interface, version, group, timeout, tags and
// the caller's own keys).
type Attachment struct {
	Key   string
	Value any
}

// Invocation is one call as it travels from the caller through the cluster,
// the directory, the routers and the load balancer to an Invoker.
//
// An Invocation is read-only once it is passed on: the same value is reused
// by every attempt of a failover and may be read by several goroutines at
// once (forking, broadcast). Code that needs to change it builds a new one
// (see RPCInvocation.WithAttachment).
type Invocation interface {
	// MethodName is the method called as the provider knows it ("sayHello"),
	// or "$invoke" for a generic call (see RealMethodName).
	MethodName() string
	// ParameterTypes are the Java type names of the parameters
	// ("java.lang.String", "long", "int[]", "com.example.User"), one per
	// argument, or nil to let the protocol derive them from the arguments.
	ParameterTypes() []string
	// Arguments are the call's arguments, owned by the invocation.
	Arguments() []any
	// Attachment returns the value of one attachment.
	Attachment(key string) (any, bool)
	// Attachments lists the attachments in the order they were added; the
	// dubbo protocol writes them in this order. The caller must not modify
	// the slice.
	Attachments() []Attachment
}

// Names of Dubbo's generic invocation methods.
const (
	GenericMethod      = "$invoke"
	GenericAsyncMethod = "$invokeAsync"
	EchoMethod         = "$echo"
)

// IsGeneric reports whether inv is a generic call ($invoke or $invokeAsync
// with the real method name, parameter types and arguments as its three
// arguments).
func IsGeneric(inv Invocation) bool {
	m := inv.MethodName()
	return (m == GenericMethod || m == GenericAsyncMethod) && len(inv.Arguments()) == 3
}

// RealMethodName is the method a call means: for a generic call its first
// argument, otherwise MethodName. Routers and load balancers use it.
func RealMethodName(inv Invocation) string {
	if IsGeneric(inv) {
		if name, ok := inv.Arguments()[0].(string); ok {
			return name
		}
	}
	return inv.MethodName()
}

// RealArguments are the arguments a call means: for a generic call the
// elements of its third argument (when it is a []any), otherwise Arguments.
func RealArguments(inv Invocation) []any {
	if IsGeneric(inv) {
		if args, ok := inv.Arguments()[2].([]any); ok {
			return args
		}
	}
	return inv.Arguments()
}

// RPCInvocation is fleet's Invocation. It is immutable: the With methods
// return a copy.
type RPCInvocation struct {
	method      string
	types       []string
	args        []any
	attachments []Attachment
}

// NewInvocation returns an invocation of method with the given arguments
// (owned by the invocation from now on) and no declared parameter types.
func NewInvocation(method string, args ...any) *RPCInvocation {
	return &RPCInvocation{method: method, args: args}
}

// NewGenericInvocation returns a generic call ($invoke) of method with Java
// parameter types and arguments; POJOs travel as map[string]any.
func NewGenericInvocation(method string, types []string, args []any) *RPCInvocation {
	return &RPCInvocation{
		method: GenericMethod,
		types:  []string{"java.lang.String", "java.lang.String[]", "java.lang.Object[]"},
		args:   []any{method, types, args},
	}
}

// MethodName implements Invocation.
func (i *RPCInvocation) MethodName() string { return i.method }

// ParameterTypes implements Invocation.
func (i *RPCInvocation) ParameterTypes() []string { return i.types }

// Arguments implements Invocation.
func (i *RPCInvocation) Arguments() []any { return i.args }

// Attachments implements Invocation.
func (i *RPCInvocation) Attachments() []Attachment { return i.attachments }

// Attachment implements Invocation; a later value of a key wins.
func (i *RPCInvocation) Attachment(key string) (any, bool) {
	for j := len(i.attachments) - 1; j >= 0; j-- {
		if i.attachments[j].Key == key {
			return i.attachments[j].Value, true
		}
	}
	return nil, false
}

// WithParameterTypes returns a copy declaring the Java parameter types.
func (i *RPCInvocation) WithParameterTypes(types ...string) *RPCInvocation {
	c := *i
	c.types = types
	return &c
}

// WithAttachment returns a copy with key set to value: an existing key keeps
// its position, a new one goes last.
func (i *RPCInvocation) WithAttachment(key string, value any) *RPCInvocation {
	c := *i
	c.attachments = make([]Attachment, len(i.attachments), len(i.attachments)+1)
	copy(c.attachments, i.attachments)
	for j := range c.attachments {
		if c.attachments[j].Key == key {
			c.attachments[j].Value = value
			return &c
		}
	}
	c.attachments = append(c.attachments, Attachment{Key: key, Value: value})
	return &c
}

// StringAttachment returns the attachment key of inv when it is a string.
func StringAttachment(inv Invocation, key string) string {
	v, _ := inv.Attachment(key)
	s, _ := v.(string)
	return s
}
