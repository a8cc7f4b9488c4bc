package enum

import (
	"fmt"
	"testing"
)

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
	// A type whose String calls Name, as every user's does, printed with
	// no name: once, not in an endless recursion.
	if got := fmt.Sprint(shade(7)); got != "shade(7)" {
		t.Errorf("shade(7) prints %q", got)
	}
}

type shade uint8

func (s shade) String() string { return Names[shade]{1: "dark"}.Name(s, "shade") }
