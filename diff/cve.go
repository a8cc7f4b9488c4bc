package diff

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// cvePattern finds CVE ids not glued to a word before them
// ("debian/patches/CVE-2024-1234.patch" names one, "XCVE-2024-1234" not);
// the greedy digits leave none after.
var cvePattern = regexp.MustCompile(`(?i)(?:^|[^a-z0-9])(cve-[0-9]{4}-[0-9]{4,})`)

// cves returns the CVE ids text names, upper case, each once, in the
// order it first names them; nil when it names none.
func cves(text string) []string {
	var out []string
	for _, m := range cvePattern.FindAllStringSubmatch(text, -1) {
		if id := strings.ToUpper(m[1]); !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// sortCVEs sorts CVE ids by year, then number, as numbers
// (CVE-2024-9999 before CVE-2024-10000), each once.
func sortCVEs(ids []string) []string {
	key := func(id string) (int, int) {
		parts := strings.SplitN(id, "-", 3)
		year, _ := strconv.Atoi(parts[1])
		n, _ := strconv.Atoi(parts[2])
		return year, n
	}
	slices.SortFunc(ids, func(a, b string) int {
		ya, na := key(a)
		yb, nb := key(b)
		return cmp.Or(cmp.Compare(ya, yb), cmp.Compare(na, nb), cmp.Compare(a, b))
	})
	return slices.Compact(ids)
}
