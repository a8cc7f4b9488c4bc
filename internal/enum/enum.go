// Package enum spells the values of oslayer's enumerated types (kinds,
// file types, origins) at the JSON and text edge, and reads them back.
package enum

import "fmt"

// Integer is what an enumerated type is.
type Integer interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// Names maps each value of an enumerated type to its name.
type Names[T Integer] map[T]string

// Name returns v's name, or "what(N)" for a value without one. T is an
// integer type: %d prints N without calling T's String, which calls Name.
func (n Names[T]) Name(v T, what string) string {
	if s, ok := n[v]; ok {
		return s
	}
	return fmt.Sprintf("%s(%d)", what, v)
}

// Parse sets *v to the value named s, or says what was unknown.
func (n Names[T]) Parse(s []byte, what string, v *T) error {
	for value, name := range n {
		if name == string(s) {
			*v = value
			return nil
		}
	}
	return fmt.Errorf("unknown %s %q", what, s)
}
