package pkgdb

// CompareVersions compares two versions as Package.EVR returns them for
// kind, returning -1, 0 or 1. For rpm it orders as rpm does: epoch (absent
// is 0), version, then release (absent sorts first), each with rpmvercmp.
// For dpkg it follows Debian policy: epoch, upstream version, revision.
// Any other kind compares the strings bytewise.
func CompareVersions(kind Kind, a, b string) int {
	switch kind {
	case KindRPM:
		return compareRPMEVR(a, b)
	case KindDpkg:
		return compareDebVersion(a, b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
