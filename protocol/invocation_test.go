package protocol

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInvocationWithAttachmentCopies(t *testing.T) {
	base := NewInvocation("sayHello", "world")
	a := base.WithAttachment("k1", "v1").WithAttachment("k2", "v2")
	b := a.WithAttachment("k1", "changed")

	require.Empty(t, base.Attachments(), "the original is never changed")
	require.Equal(t, []Attachment{{"k1", "v1"}, {"k2", "v2"}}, a.Attachments())
	require.Equal(t, []Attachment{{"k1", "changed"}, {"k2", "v2"}}, b.Attachments(), "a key keeps its place")
	v, ok := b.Attachment("k1")
	require.True(t, ok)
	require.Equal(t, "changed", v)
	_, ok = b.Attachment("missing")
	require.False(t, ok)
	require.Equal(t, "v2", StringAttachment(b, "k2"))
	require.Equal(t, "", StringAttachment(b.WithAttachment("n", 3), "n"))

	typed := a.WithParameterTypes("java.lang.String")
	require.Nil(t, a.ParameterTypes())
	require.Equal(t, []string{"java.lang.String"}, typed.ParameterTypes())
	require.Equal(t, a.Attachments(), typed.Attachments())
}

func TestRealMethodAndArguments(t *testing.T) {
	plain := NewInvocation("sayHello", "world")
	require.False(t, IsGeneric(plain))
	require.Equal(t, "sayHello", RealMethodName(plain))
	require.Equal(t, []any{"world"}, RealArguments(plain))

	generic := NewGenericInvocation("getUser", []string{"long"}, []any{int64(7)})
	require.True(t, IsGeneric(generic))
	require.Equal(t, GenericMethod, generic.MethodName())
	require.Equal(t, "getUser", RealMethodName(generic))
	require.Equal(t, []any{int64(7)}, RealArguments(generic))
	require.Equal(t, []string{"java.lang.String", "java.lang.String[]", "java.lang.Object[]"}, generic.ParameterTypes())

	odd := NewInvocation(GenericMethod, "only-one")
	require.False(t, IsGeneric(odd), "$invoke needs three arguments")
	require.Equal(t, GenericMethod, RealMethodName(odd))
}

func TestOutgoingAttachments(t *testing.T) {
	ctx := WithOutgoingAttachments(t.Context(), Attachment{"dubbo.tag", "gray"}, Attachment{"trace", "1"})
	ctx = WithOutgoingAttachments(ctx, Attachment{"trace", "2"})
	require.Equal(t, []Attachment{{"dubbo.tag", "gray"}, {"trace", "1"}, {"trace", "2"}}, OutgoingAttachments(ctx))
	require.Nil(t, OutgoingAttachments(t.Context()))

	inv := NewInvocation("m", "x").WithAttachment("dubbo.tag", "blue")
	got := AddAttachmentsIfAbsent(inv, OutgoingAttachments(ctx))
	require.Equal(t, []Attachment{{"dubbo.tag", "blue"}, {"trace", "2"}}, got.Attachments(), "the invocation's own keys win; a later context value wins over an earlier one")
	require.Equal(t, "m", got.MethodName())
	require.Equal(t, []any{"x"}, got.Arguments())
	require.Equal(t, []Attachment{{"dubbo.tag", "blue"}}, inv.Attachments(), "the invocation is not changed")
	require.Same(t, Invocation(inv), AddAttachmentsIfAbsent(inv, []Attachment{{"dubbo.tag", "red"}}), "nothing to add: the same invocation")
}
