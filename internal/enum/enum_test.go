package enum

import "testing"

func TestNames(t *testing.T) {
	type color uint8
	names := Names[color]{1: "red", 2: "green"}
	if got := names.Name(2, "color"); got != "green" {
		t.Errorf("Name(2) = %q", got)
	}
	if got := names.Name(9, "color"); got != "color(9)" {
		t.Errorf("Name(9) = %q", got)
	}
	var c color
	if err := names.Parse([]byte("red"), "color", &c); err != nil || c != 1 {
		t.Errorf("Parse(red) = %v, %v", c, err)
	}
	if err := names.Parse([]byte("blue"), "color", &c); err == nil || err.Error() != `unknown color "blue"` || c != 1 {
		t.Errorf("Parse(blue) = %v, %v", c, err)
	}
}
