package cluster

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// recorder keeps the invocations it is called with.
type recorder struct {
	url  *common.URL
	seen []protocol.Invocation
}

func (r *recorder) URL() *common.URL  { return r.url }
func (r *recorder) IsAvailable() bool { return true }
func (r *recorder) Destroy()          {}
func (r *recorder) Invoke(_ context.Context, inv protocol.Invocation) protocol.Result {
	r.seen = append(r.seen, inv)
	return protocol.NewResult(nil, nil)
}

func TestContextAttachmentsReachTheProvider(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{url: common.MustParse("dubbo://10.0.0.1:20880/org.a.Svc?interface=org.a.Svc")}
			c, err := Get(name)
			require.NoError(t, err)
			inv := c.Join(directory.NewStatic(consumer(""), []protocol.Invoker{rec}))
			ctx := protocol.WithOutgoingAttachments(context.Background(),
				protocol.Attachment{Key: "dubbo.tag", Value: "gray"}, protocol.Attachment{Key: "own", Value: "ctx"})
			res := inv.Invoke(ctx, protocol.NewInvocation("m").WithAttachment("own", "invocation"))
			require.NoError(t, res.Error())
			require.Len(t, rec.seen, 1)
			tag, _ := rec.seen[0].Attachment("dubbo.tag")
			require.Equal(t, "gray", tag)
			own, _ := rec.seen[0].Attachment("own")
			require.Equal(t, "invocation", own, "the invocation's own attachment wins")
		})
	}
}
