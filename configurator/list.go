package configurator

import (
	"log/slog"
	"sort"
	"strings"

	"github.com/fleetrpc/fleet/common"
)

// FromURLs builds the ordered configurators of one full configurators list
// as a registry notifies it (rules.md §3.5), for a consumer at localHost:
//
//   - in list order, an empty:// URL clears what was built so far and ends
//     the scan (so [empty://…] gives none);
//   - a URL whose only parameter is anyhost (or that has none) is skipped;
//   - override:// and absent:// URLs become Override and Absent; any other
//     protocol is logged at Warn and skipped (Java fails the whole push);
//   - the result is sorted by Less, stably.
//
// The result is nil when there are no configurators. logger may be nil
// (slog.Default). FromURLs does not keep urls.
func FromURLs(urls []*common.URL, localHost string, logger *slog.Logger) []Configurator {
	if logger == nil {
		logger = slog.Default()
	}
	var out []Configurator
	for _, u := range urls {
		if u == nil {
			continue
		}
		if u.Protocol() == common.EmptyProtocol {
			out = nil
			break
		}
		if onlyAnyHost(u) {
			continue
		}
		switch u.Protocol() {
		case common.OverrideProtocol:
			out = append(out, NewOverride(u, localHost))
		case common.AbsentProtocol:
			out = append(out, NewAbsent(u, localHost))
		default:
			logger.Warn("configurator skipped: unknown protocol", "component", "configurator",
				"protocol", u.Protocol(), "url", u)
		}
	}
	sortConfigurators(out)
	return out
}

// sortConfigurators sorts cs by Less, stably.
func sortConfigurators(cs []Configurator) {
	sort.SliceStable(cs, func(i, j int) bool { return Less(cs[i], cs[j]) })
}

// Less orders configurators as Dubbo applies them: by the rule's host
// (string order, so 0.0.0.0 rules run before host-specific ones), then by
// the priority param (integer, default 0; a malformed one counts as 0).
// Later rules win.
func Less(a, b Configurator) bool {
	if c := strings.Compare(a.URL().Host(), b.URL().Host()); c != 0 {
		return c < 0
	}
	return priority(a.URL()) < priority(b.URL())
}

func priority(u *common.URL) int {
	p, err := u.ParamInt(common.PriorityKey, 0)
	if err != nil {
		return 0
	}
	return p
}

// onlyAnyHost reports whether u has no parameter other than anyhost.
func onlyAnyHost(u *common.URL) bool {
	n := u.NumParams()
	if _, ok := u.Param(common.AnyHostKey); ok {
		n--
	}
	return n == 0
}
