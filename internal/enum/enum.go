// Package enum spells the values of oslayer's enumerated types (kinds,
// file types, origins) at the JSON and text edge, and reads them back.
package enum

import "fmt"

// Names maps each value of an enumerated type to its name.
type Names[T comparable] map[T]string

// Name returns v's name, or "what(v)" for a value without one.
func (n Names[T]) Name(v T, what string) string {
	if s, ok := n[v]; ok {
		return s
	}
	return fmt.Sprintf("%s(%v)", what, v)
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
