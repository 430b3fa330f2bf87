package dubbo

import "github.com/fleetrpc/fleet/protocol"

// invocation is a call as the server decoded it. It implements
// protocol.Invocation without copying the decoded slices.
type invocation struct {
	method string
	desc   string
	args   []any
	atts   []protocol.Attachment
	types  []string // Java parameter types, when known up front
}

func (i *invocation) MethodName() string { return i.method }

// ParameterTypes returns the Java type names of the descriptor.
func (i *invocation) ParameterTypes() []string {
	if i.types != nil || i.desc == "" {
		return i.types
	}
	toks, err := splitDesc(i.desc)
	if err != nil {
		return nil
	}
	types := make([]string, len(toks))
	for j, t := range toks {
		types[j] = descToJavaName(t)
	}
	return types
}

func (i *invocation) Arguments() []any { return i.args }

func (i *invocation) Attachments() []protocol.Attachment { return i.atts }

func (i *invocation) Attachment(key string) (any, bool) {
	for j := len(i.atts) - 1; j >= 0; j-- {
		if i.atts[j].Key == key {
			return i.atts[j].Value, true
		}
	}
	return nil, false
}
