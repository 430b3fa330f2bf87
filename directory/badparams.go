package directory

import (
	"log/slog"
	"sort"

	"github.com/fleetrpc/fleet/common"
)

// badParams gathers, over one refresh, the bounded parameters of new
// provider URLs and of a changed consumer URL whose values their readers
// replace (common.CheckBoundedParams: timeout=-1 is read as the default
// timeout, retries=-1 as no retry, …), so that each bad value is logged
// once per refresh, not once per provider or per call. A refresh re-reads
// only the URLs that changed, so a bad override is logged when it arrives.
type badParams struct {
	seen map[string]*badParam // by error text; nil until the first
}

type badParam struct {
	err   error
	urls  int
	first *common.URL
}

func (b *badParams) check(u *common.URL) {
	u.CheckBoundedParams(func(err error) {
		if b.seen == nil {
			b.seen = map[string]*badParam{}
		}
		k := err.Error()
		p := b.seen[k]
		if p == nil {
			p = &badParam{err: err, first: u}
			b.seen[k] = p
		}
		p.urls++
	})
}

// log writes one warning per bad value, in a stable order.
func (b *badParams) log(logger *slog.Logger) {
	if len(b.seen) == 0 {
		return
	}
	keys := make([]string, 0, len(b.seen))
	for k := range b.seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := b.seen[k]
		logger.Warn("bad URL parameter: its readers use the default (or 0) instead",
			"error", p.err, "urls", p.urls, "url", p.first)
	}
}
