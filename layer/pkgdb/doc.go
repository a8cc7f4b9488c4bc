// Package pkgdb reads the package databases found in OS images: the rpm
// database (sqlite, ndb and Berkeley DB formats, under usr/lib/sysimage/rpm,
// var/lib/rpm or usr/share/rpm) and dpkg's (var/lib/dpkg/status, status.d and
// info/*.list, info/*.md5sums). It lists installed packages with their
// versions and owned files, and compares versions with each format's rules.
// It reads changelogs: rpm's from its headers (ReadOptions), Debian's from
// the files a package installs (DebianChangelog), and selects the entries an
// update brings (ChangelogRange).
//
// Readers take an fs.FS rooted at the image's root, so the same code serves
// image Trees and rootfs directories. All input is untrusted: malformed data
// is an error naming the file, never a panic.
package pkgdb
