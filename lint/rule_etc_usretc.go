package lint

import "context"

var etcUsretc = &Rule{
	ID: "etc-usretc", Level: Fatal, Source: "bootc",
	Description: "only one of /etc and /usr/etc may exist",
	Help:        "/usr/etc is where bootc keeps the image's /etc on a deployed system; an image must ship its configuration in /etc only. Move what is in /usr/etc to /etc.",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		if t.lookup("/etc") != nil && t.lookup("/usr/etc") != nil {
			return []Finding{finding("/usr/etc", "", "both /etc and /usr/etc exist; /usr/etc is a bootc implementation detail")}, nil
		}
		return nil, nil
	},
}
