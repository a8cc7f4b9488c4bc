package lint

import (
	"context"
	"strconv"
)

var utf8Names = &Rule{
	ID: "utf8", Level: Fatal, Source: "bootc",
	Description: "file names and symlink targets must be UTF-8",
	Help:        "ostree, and so bootc, only stores UTF-8 paths. Rename the files (convmv can convert names from a legacy encoding). Images with such names are refused when layers are read, with the layer and path named.",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		var out []Finding
		for _, p := range t.InvalidNames {
			out = append(out, finding(strconv.QuoteToASCII(p), "", "name or symlink target is not valid UTF-8"))
		}
		return out, nil
	},
}

func itoa(n int) string { return strconv.Itoa(n) }
