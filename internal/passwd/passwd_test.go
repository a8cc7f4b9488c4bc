package passwd

import (
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	got := Parse("root:x:0:0:root:/root:/bin/bash\n# comment\n+nis::::\nbad\ncore:x:1000:1000::/var/home/core:/bin/bash\nodd:x:notanumber:\nwheel:x:10:core\n")
	want := []Entry{{"root", 0}, {"core", 1000}, {"wheel", 10}}
	if !slices.Equal(got, want) {
		t.Errorf("Parse = %v, want %v", got, want)
	}
}
