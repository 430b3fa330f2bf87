package router

// Kinded is implemented by a built-in router of which a chain holds one
// (the tag router): a router of the same kind given later — one carrying a
// config-center rule — takes its place (Replace).
type Kinded interface {
	Router
	// Kind names the router's kind ("tag").
	Kind() string
}

// Replace returns builtins without the routers whose kind (Kinded) is the
// kind of a router of extra, followed by extra: a directory composes its
// built-in routers with the dynamic ones this way. It does not modify its
// arguments.
func Replace(builtins, extra []Router) []Router {
	out := make([]Router, 0, len(builtins)+len(extra))
	for _, b := range builtins {
		k, ok := b.(Kinded)
		if ok && hasKind(extra, k.Kind()) {
			continue
		}
		out = append(out, b)
	}
	return append(out, extra...)
}

func hasKind(rs []Router, kind string) bool {
	for _, r := range rs {
		if k, ok := r.(Kinded); ok && k.Kind() == kind {
			return true
		}
	}
	return false
}
