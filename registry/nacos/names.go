package nacos

import (
	"slices"
	"strings"

	"github.com/fleetrpc/fleet/common"
)

// nameSeparator separates the segments of a Nacos service name.
const nameSeparator = ":"

// serviceName is the Nacos service of url in category:
// <category>:<interface>:<version>:<group>, empty segments kept.
func serviceName(category string, url *common.URL) string {
	return category + nameSeparator + url.ColonKey()
}

// legacyName is the name Dubbo 2.7.3 and earlier registered providers
// under: providers[:interface][:version][:group], absent segments left out.
func legacyName(url *common.URL) string {
	var b strings.Builder
	b.WriteString(common.ProvidersCategory)
	for _, v := range []string{url.ServiceInterface(), url.Version(), url.Group()} {
		if strings.TrimSpace(v) != "" {
			b.WriteString(nameSeparator)
			b.WriteString(v)
		}
	}
	return b.String()
}

// name is a Nacos service name split into Dubbo's four segments.
type name struct {
	category, iface, version, group string
}

// parseName splits a four-segment service name; ok is false for any
// other name (not a Dubbo service).
func parseName(s string) (name, bool) {
	parts := strings.Split(s, nameSeparator)
	if len(parts) != 4 || parts[0] == "" || parts[1] == "" {
		return name{}, false
	}
	return name{category: parts[0], iface: parts[1], version: parts[2], group: parts[3]}, true
}

// isConcrete reports whether url names exactly one service: its interface
// is not *, and neither its group nor its version is * or a list.
func isConcrete(url *common.URL) bool {
	if url.ServiceInterface() == common.AnyValue {
		return false
	}
	for _, v := range []string{url.Group(), url.Version()} {
		if v == common.AnyValue || strings.Contains(v, ",") {
			return false
		}
	}
	return true
}

// compatible reports whether the service n is one url subscribes to in one
// of categories: the category is among them, the interface is url's (or
// url's is *), and the version and group are url's, or url's is *, or a
// comma list holding them.
func compatible(url *common.URL, categories []string, n name) bool {
	if !slices.Contains(categories, n.category) {
		return false
	}
	if iface := url.ServiceInterface(); iface != common.AnyValue && iface != n.iface {
		return false
	}
	return segmentMatch(url.Version(), n.version) && segmentMatch(url.Group(), n.group)
}

// segmentMatch matches a version or group segment against a subscription's
// value: * matches anything, a comma list any of its items, else equality.
func segmentMatch(pattern, value string) bool {
	if pattern == common.AnyValue || pattern == value {
		return true
	}
	if !strings.Contains(pattern, ",") {
		return false
	}
	for _, p := range strings.Split(pattern, ",") {
		p = strings.TrimSpace(p)
		if p == common.AnyValue || p == value {
			return true
		}
	}
	return false
}

// subscribedCategories lists the categories a subscription URL asks for:
// default providers; * means all four.
func subscribedCategories(u *common.URL) []string {
	var out []string
	for _, c := range u.ParamList(common.CategoryKey) {
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

// watchedCategories are the categories a subscription reads from Nacos.
// Interface * reads every category it asks for. A service reads providers
// and consumers when asked: its configurators and routers live in the
// config center, as in Java Dubbo.
func watchedCategories(url *common.URL) []string {
	cats := subscribedCategories(url)
	if url.ServiceInterface() == common.AnyValue {
		return cats
	}
	out := cats[:0:0]
	for _, c := range cats {
		if c == common.ProvidersCategory || c == common.ConsumersCategory {
			out = append(out, c)
		}
	}
	return out
}
