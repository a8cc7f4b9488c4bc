package pkgdb

import (
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// tv is one tag value for makeHeader.
type tv struct {
	tag, typ uint32
	count    uint32
	data     []byte
}

func str(tag uint32, s string) tv { return tv{tag, typeString, 1, []byte(s + "\x00")} }

func strs(tag uint32, ss ...string) tv {
	return tv{tag, typeStringArray, uint32(len(ss)), []byte(strings.Join(ss, "\x00") + "\x00")}
}

func i16s(tag uint32, vs ...uint16) tv {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return tv{tag, typeInt16, uint32(len(vs)), b}
}

func i32s(tag uint32, vs ...uint32) tv {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return tv{tag, typeInt32, uint32(len(vs)), b}
}

func i64s(tag uint32, vs ...uint64) tv {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint64(b, v)
	}
	return tv{tag, typeInt64, uint32(len(vs)), b}
}

// makeHeader lays out a header blob as rpm does, values aligned, inside an
// immutable region when region is set.
func makeHeader(region bool, values ...tv) []byte {
	var index, data []byte
	add := func(tag, typ, offset, count uint32) {
		for _, v := range []uint32{tag, typ, offset, count} {
			index = binary.BigEndian.AppendUint32(index, v)
		}
	}
	if region {
		add(tagRegionFirst+2, typeBin, 0, 16)
	}
	for _, v := range values {
		align := map[uint32]int{typeInt16: 2, typeInt32: 4, typeInt64: 8}[v.typ]
		for align > 0 && len(data)%align != 0 {
			data = append(data, 0)
		}
		add(v.tag, v.typ, uint32(len(data)), v.count)
		data = append(data, v.data...)
	}
	if region {
		// The trailer goes first in the data store here; offsets move.
		trailer := make([]byte, 0, 16)
		for _, v := range []uint32{tagRegionFirst + 2, typeBin, uint32(-int32(16 * (len(values) + 1))), 16} {
			trailer = binary.BigEndian.AppendUint32(trailer, v)
		}
		for i := 16; i < len(index); i += 16 {
			binary.BigEndian.PutUint32(index[i+8:], binary.BigEndian.Uint32(index[i+8:])+16)
		}
		data = append(trailer, data...)
	}
	var blob []byte
	blob = binary.BigEndian.AppendUint32(blob, uint32(len(index)/16))
	blob = binary.BigEndian.AppendUint32(blob, uint32(len(data)))
	return append(append(blob, index...), data...)
}

func basicValues() []tv {
	return []tv{
		str(tagName, "openssl-libs"), str(tagVersion, "3.0.1"), str(tagRelease, "1.fc41"), str(tagArch, "x86_64"),
		i32s(tagEpoch, 1), i32s(tagBuildTime, 1700000000), str(tagSourceRPM, "openssl-3.0.1-1.fc41.src.rpm"),
		strs(tagDirNames, "/usr/lib64/", "/etc/"),
		strs(tagBaseNames, "libssl.so.3", "openssl.cnf", "libssl.so"),
		i32s(tagDirIndexes, 0, 1, 0),
		i16s(tagFileModes, 0o100755, 0o100644, 0o120777),
		i64s(tagLongFileSizes, 1<<33, 10, 11),
		strs(tagFileDigests, "AB01", "cd02", ""),
		i32s(tagFileDigestAlgo, 10),
		strs(tagFileLinkTos, "", "", "libssl.so.3"),
		i32s(tagFileFlags, 0, fileFlagConfig, fileFlagGhost),
		strs(tagFileUserName, "root", "root", "root"),
		strs(tagFileGroupName, "root", "wheel", "root"),
	}
}

func TestPackageFromHeader(t *testing.T) {
	want := Package{
		Name: "openssl-libs", Epoch: "1", Version: "3.0.1", Release: "1.fc41", Arch: "x86_64",
		Source: "openssl", BuildTime: 1700000000,
		Files: []File{
			{Path: "/etc/openssl.cnf", Mode: 0o100644, Size: 10, Digest: "cd02", Algo: "sha512", User: "root", Group: "wheel", Flags: fileFlagConfig},
			{Path: "/usr/lib64/libssl.so", Mode: 0o120777, Size: 11, LinkTo: "libssl.so.3", User: "root", Group: "root", Flags: fileFlagGhost},
			{Path: "/usr/lib64/libssl.so.3", Mode: 0o100755, Size: 1 << 33, Digest: "ab01", Algo: "sha512", User: "root", Group: "root"},
		},
	}
	for _, region := range []bool{false, true} {
		got, err := packageFromHeader(makeHeader(region, basicValues()...), ReadOptions{})
		if err != nil {
			t.Fatalf("region %v: %v", region, err)
		}
		if !reflect.DeepEqual(want, got) {
			t.Errorf("region %v (-want +got):\n-%+v\n+%+v", region, want, got)
		}
		if !got.Files[0].IsConfig() || got.Files[0].IsGhost() || !got.Files[1].IsGhost() {
			t.Errorf("IsConfig/IsGhost wrong for %+v", got.Files)
		}
		if evr := got.EVR(); evr != "1:3.0.1-1.fc41" {
			t.Errorf("EVR() = %q", evr)
		}
	}

	// rpm 3 headers list whole paths, 32-bit sizes, md5 digests.
	old := []tv{
		str(tagName, "old"), str(tagVersion, "1"), str(tagRelease, "2"),
		strs(tagOldFilenames, "/bin/old", "/etc//old.conf"),
		i32s(tagFileSizes, 3, 4), strs(tagFileDigests, "aa", "bb"),
	}
	got, err := packageFromHeader(makeHeader(false, old...), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantOld := Package{Name: "old", Version: "1", Release: "2", Source: "old", Files: []File{
		{Path: "/bin/old", Size: 3, Digest: "aa", Algo: "md5"},
		{Path: "/etc/old.conf", Size: 4, Digest: "bb", Algo: "md5"},
	}}
	if !reflect.DeepEqual(wantOld, got) {
		t.Errorf("old header (-want +got):\n-%+v\n+%+v", wantOld, got)
	}

	// A value added after the region (a "dribble") wins.
	dribble := append(basicValues(), str(tagArch, "noarch"))
	if got, err := packageFromHeader(makeHeader(true, dribble...), ReadOptions{}); err != nil || got.Arch != "noarch" {
		t.Errorf("dribble ARCH: got %q, %v; want noarch", got.Arch, err)
	}

	pubkey := []tv{str(tagName, "gpg-pubkey"), str(tagVersion, "5323552a"), str(tagRelease, "6112bcdc")}
	if _, err := packageFromHeader(makeHeader(false, pubkey...), ReadOptions{}); !errors.Is(err, errPubkey) {
		t.Errorf("gpg-pubkey: err = %v, want errPubkey", err)
	}
}

func TestPackageFromHeaderErrors(t *testing.T) {
	valid := makeHeader(true, basicValues()...)
	replace := func(tag uint32, v tv) []byte {
		var vs []tv
		for _, b := range basicValues() {
			if b.tag == tag {
				b = v
			}
			vs = append(vs, b)
		}
		return makeHeader(false, vs...)
	}
	patch := func(off int, v uint32) []byte {
		b := append([]byte(nil), valid...)
		binary.BigEndian.PutUint32(b[off:], v)
		return b
	}
	tests := []struct {
		name string
		blob []byte
		want string
	}{
		{"empty", nil, "header blob is 0 bytes, want at least 8"},
		{"no entries", make([]byte, 8), "header has no entries"},
		{"truncated", valid[:len(valid)-1], "blob is"},
		{"huge counts", patch(0, 0xffffffff), "declares 4294967295 entries"},
		{"unknown type", patch(8+16+4, 42), "unknown type 42"},
		{"offset out of range", patch(8+16+8, 1<<20), "outside the"},
		{"bad region trailer", patch(8+int(binary.BigEndian.Uint32(valid))*16+8, 16), "region tag 63"},
		{"no name", replace(tagName, str(9999, "x")), "NAME: tag not present"},
		{"name not a string", replace(tagName, i32s(tagName, 1)), "NAME: tag 1000 has type 4"},
		{"string count too big", replace(tagBaseNames, tv{tagBaseNames, typeStringArray, 1 << 30, []byte("a\x00")}), "strings cannot fit"},
		{"unterminated", replace(tagFileGroupName, tv{tagFileGroupName, typeStringArray, 3, []byte("root")}), "not NUL-terminated"},
		{"int overrun", replace(tagFileFlags, tv{tagFileFlags, typeInt32, 1 << 30, []byte{0, 0, 0, 0}}), "overrun"},
		{"short array", replace(tagFileModes, i16s(tagFileModes, 1)), "tag 1030 has 1 values for 3 files"},
		{"bad dir index", replace(tagDirIndexes, i32s(tagDirIndexes, 0, 1, 7)), "directory index 7, only 2 DIRNAMES"},
		{"no dirnames", replace(tagDirNames, str(9999, "x")), "DIRNAMES: tag not present"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := packageFromHeader(tt.blob, ReadOptions{Changelogs: true})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestSourceName(t *testing.T) {
	for in, want := range map[string]string{
		"openssl-3.0.1-1.fc41.src.rpm":     "openssl",
		"python-foo-bar-1.0-2.el9.src.rpm": "python-foo-bar",
		"glibc-2.39-1.nosrc.rpm":           "glibc",
		"1.0-1.src.rpm":                    "",
		"openssl-3.0.1-1.fc41":             "",
		"":                                 "",
	} {
		if got := sourceName(in); got != want {
			t.Errorf("sourceName(%q) = %q, want %q", in, got, want)
		}
	}
}
