package zookeeper

import (
	"log/slog"
	"slices"
	"strings"

	"github.com/fleetrpc/fleet/common"
)

// layout names the nodes of Dubbo's tree under one root.
type layout struct {
	root string // "/dubbo", or "/" for services at the top
}

// newLayout returns the layout for a registry group: "dubbo", "/dubbo" and
// "x/" name /dubbo, /dubbo and /x; "" and "/" put services at the top.
func newLayout(group string) layout {
	g := strings.Trim(group, "/")
	if g == "" {
		return layout{root: "/"}
	}
	return layout{root: "/" + g}
}

func (l layout) rootDir() string {
	if l.root == "/" {
		return "/"
	}
	return l.root + "/"
}

// servicePath is /root/Encode(interface).
func (l layout) servicePath(iface string) string { return l.rootDir() + common.Encode(iface) }

// categoryPath is /root/Encode(interface)/category.
func (l layout) categoryPath(iface, category string) string {
	return l.servicePath(iface) + "/" + category
}

// nodePath is where u is registered: its category path and the encoded
// full string.
func (l layout) nodePath(u *common.URL) string {
	return l.categoryPath(u.ServiceInterface(), u.Category()) + "/" + u.Encoded()
}

// parseCategoryPath splits a category path into its interface and
// category; ok is false for any other path.
func (l layout) parseCategoryPath(p string) (iface, category string, ok bool) {
	rest, found := strings.CutPrefix(p, l.rootDir())
	if !found {
		return "", "", false
	}
	enc, category, found := strings.Cut(rest, "/")
	if !found || enc == "" || category == "" || strings.Contains(category, "/") {
		return "", "", false
	}
	iface, err := common.Decode(enc)
	if err != nil {
		return "", "", false
	}
	return iface, category, true
}

// parents lists the ancestors of p below "/", outermost first:
// /a/b/c gives /a, /a/b.
func parents(p string) []string {
	var out []string
	for i := 1; i < len(p); i++ {
		if p[i] == '/' {
			out = append(out, p[:i])
		}
	}
	return out
}

// encodedScheme marks a child node name that is a URL: an encoded "://".
const encodedScheme = "%3A%2F%2F"

// toURLs converts the child names of a category node into the URLs that
// concern subscription (common.IsMatch), sorted by compareURLs (the same
// order in every process, and no rendering).
// Names that are not URLs are skipped; names that do not parse are logged
// and skipped.
func toURLs(subscription *common.URL, children []string, log *slog.Logger) []*common.URL {
	matched := make([]*common.URL, 0, len(children))
	for _, name := range children {
		if !strings.Contains(name, encodedScheme) {
			continue
		}
		u, err := common.ParseEncoded(name)
		if err != nil {
			log.Warn("skipping a registry node that is not a URL", "node", name, "err", err)
			continue
		}
		if common.IsMatch(subscription, u) {
			matched = append(matched, u)
		}
	}
	slices.SortFunc(matched, compareURLs)
	return matched
}

// emptyURL is the empty:// placeholder of an empty category: the
// subscription URL with protocol empty and the category set.
func emptyURL(subscription *common.URL, category string) *common.URL {
	return subscription.WithProtocol(common.EmptyProtocol).WithParam(common.CategoryKey, category)
}

// subscribedCategories lists the categories a subscription URL asks for:
// default providers; * means all four.
func subscribedCategories(u *common.URL) []string {
	cats := u.ParamList(common.CategoryKey)
	var out []string
	for _, c := range cats {
		c = strings.TrimSpace(c)
		if c == common.AnyValue {
			return []string{common.ProvidersCategory, common.ConsumersCategory, common.RoutersCategory, common.ConfiguratorsCategory}
		}
		if c != "" && !strings.HasPrefix(c, "-") {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return []string{common.ProvidersCategory}
	}
	return out
}
