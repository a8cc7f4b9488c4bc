// Package diff compares two filesystem Trees (a base image and an image
// derived from it) and reports what the derived layers changed: files added,
// removed, modified, changed in metadata only or changed in type; packages
// added, removed, upgraded or downgraded; the size impact per area; and which
// layers an update from one image to the other must download.
//
// A Filter keeps the changes at some paths (globs) or of some kinds; StatOf
// counts changes and bytes per area and per owning package; the text
// output groups changes by package (GroupByPackage) and sums up many
// changes of one kind in one directory (Lines).
package diff
