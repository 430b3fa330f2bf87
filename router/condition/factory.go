package condition

import (
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/router"
)

// Name is the router type of condition rules: the router param of a
// route:// URL, or the protocol of a condition:// URL.
const Name = "condition"

func init() {
	router.Register(Name, func(u *common.URL) (router.Router, error) {
		r, err := New(u)
		if err != nil {
			return nil, err
		}
		return r, nil
	})
}
