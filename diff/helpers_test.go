package diff

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// sameStrings fails the test when got is not want, showing both in full,
// one item a line ("-" want, "+" got).
func sameStrings(t *testing.T, what string, want, got []string) {
	t.Helper()
	if slices.Equal(want, got) {
		return
	}
	var b strings.Builder
	for _, w := range want {
		fmt.Fprintf(&b, "-%s\n", w)
	}
	for _, g := range got {
		fmt.Fprintf(&b, "+%s\n", g)
	}
	t.Errorf("%s (-want +got):\n%s", what, b.String())
}
