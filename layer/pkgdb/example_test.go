package pkgdb_test

import (
	"context"
	"fmt"
	"testing/fstest"

	"github.com/oslayer/oslayer/layer/pkgdb"
)

func ExampleRead() {
	root := fstest.MapFS{
		"var/lib/dpkg/status":                   {Data: []byte("Package: hello\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:2.0-1\n")},
		"var/lib/dpkg/info/hello:amd64.list":    {Data: []byte("/.\n/usr\n/usr/bin\n/usr/bin/hello\n")},
		"var/lib/dpkg/info/hello:amd64.md5sums": {Data: []byte("d41d8cd98f00b204e9800998ecf8427e  usr/bin/hello\n")},
	}
	dbs, err := pkgdb.Read(context.Background(), root)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, db := range dbs {
		for _, p := range db.Packages {
			fmt.Println(db.Path, p.Name, p.EVR(), p.Arch)
			for _, f := range p.Files {
				if f.Digest == "" {
					fmt.Println(" ", f.Path)
				} else {
					fmt.Println(" ", f.Path, f.Algo+":"+f.Digest)
				}
			}
		}
	}
	// Output:
	// /var/lib/dpkg/status hello 1:2.0-1 amd64
	//   /
	//   /usr
	//   /usr/bin
	//   /usr/bin/hello md5:d41d8cd98f00b204e9800998ecf8427e
}

func ExampleCompareVersions() {
	fmt.Println(pkgdb.CompareVersions(pkgdb.KindRPM, "1.0~rc1-1.fc41", "1.0-1.fc41"))
	fmt.Println(pkgdb.CompareVersions(pkgdb.KindRPM, "1:0.9-1", "2.0-1"))
	fmt.Println(pkgdb.CompareVersions(pkgdb.KindDpkg, "2.36-9+deb12u4", "2.36-9+deb12u10"))
	// Output:
	// -1
	// 1
	// -1
}
