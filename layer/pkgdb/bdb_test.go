package pkgdb

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

// TestBDBLayouts loads records with db5.3_load in both byte orders and in
// page sizes that keep values inline (64 KiB) or chain them over many
// overflow pages (512 bytes), and checks bdbBlobs returns them all.
func TestBDBLayouts(t *testing.T) {
	fixtures.RequireTools(t, "db5.3_load")
	header := readTestdata(t, "rpm/header.bin")
	values := [][]byte{header, []byte("small"), make([]byte, 3000)}
	for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, pageSize := range []int{512, 4096, 65536} {
			t.Run(fmt.Sprintf("%v/%d", order, pageSize), func(t *testing.T) {
				lorder := map[bool]string{true: "1234", false: "4321"}[order == binary.LittleEndian]
				var dump strings.Builder
				fmt.Fprintf(&dump, "VERSION=3\nformat=bytevalue\ntype=hash\ndb_lorder=%s\ndb_pagesize=%d\nHEADER=END\n", lorder, pageSize)
				for i, v := range values {
					fmt.Fprintf(&dump, " %s\n %s\n", hex.EncodeToString(order.AppendUint32(nil, uint32(i+1))), hex.EncodeToString(v))
				}
				fmt.Fprintf(&dump, " 00000000\n %s\nDATA=END\n", hex.EncodeToString(order.AppendUint32(nil, 3)))
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "dump"), []byte(dump.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				fixtures.Run(t, dir, "db5.3_load", "-f", "dump", "Packages")
				data, err := os.ReadFile(filepath.Join(dir, "Packages"))
				if err != nil {
					t.Fatal(err)
				}
				got, err := bdbBlobs(data)
				if err != nil {
					t.Fatal(err)
				}
				if !sameSet(values, got) {
					t.Errorf("bdbBlobs returned %d values, want %d (the key 0 record left out)", len(got), len(values))
				}
			})
		}
	}
}

// sameSet reports whether a and b hold the same byte strings in any order.
func sameSet(a, b [][]byte) bool {
	count := map[string]int{}
	for _, v := range a {
		count[string(v)]++
	}
	for _, v := range b {
		count[string(v)]--
	}
	return len(a) == len(b) && reflect.DeepEqual(count, mapOfZeros(count))
}

func mapOfZeros(m map[string]int) map[string]int {
	z := map[string]int{}
	for k := range m {
		z[k] = 0
	}
	return z
}

func TestBDBErrors(t *testing.T) {
	valid := readTestdata(t, "rpm/Packages")
	edit := func(f func(b []byte)) []byte {
		b := append([]byte(nil), valid...)
		f(b)
		return b
	}
	// Find the first hash page and the overflow page its first value starts.
	var hashPage, ovfl int
	for pg := 1; pg*4096 < len(valid); pg++ {
		p := valid[pg*4096:]
		if p[25] == bdbPageHash && binary.LittleEndian.Uint16(p[20:]) > 0 {
			for i := 0; i < int(binary.LittleEndian.Uint16(p[20:])); i += 2 {
				it := p[binary.LittleEndian.Uint16(p[26+2*(i+1):]):]
				if it[0] == bdbItemOffPage {
					hashPage, ovfl = pg, int(binary.LittleEndian.Uint32(it[4:]))
					break
				}
			}
			break
		}
	}
	if ovfl == 0 {
		t.Fatal("testdata/rpm/Packages has no overflow value")
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"short", valid[:100], "the Berkeley DB metadata page is cut short: file is 100 bytes"},
		{"btree", edit(func(b []byte) { binary.LittleEndian.PutUint32(b[12:], bdbBtreeMagic) }), "btree database, want hash"},
		{"page size", edit(func(b []byte) { binary.LittleEndian.PutUint32(b[20:], 1000) }), "page size 1000"},
		{"encrypted", edit(func(b []byte) { b[24] = 1 }), "encrypted"},
		{"truncated", valid[:len(valid)-4096], "truncated"},
		{"odd entries", edit(func(b []byte) { binary.LittleEndian.PutUint16(b[hashPage*4096+20:], 3) }), "3 entries"},
		{"overflow loop", edit(func(b []byte) {
			binary.LittleEndian.PutUint32(b[ovfl*4096+16:], uint32(ovfl))
			binary.LittleEndian.PutUint16(b[ovfl*4096+22:], 100)
		}), fmt.Sprintf("overflow page %d used twice", ovfl)},
		{"overflow type", edit(func(b []byte) { b[ovfl*4096+25] = bdbPageHash }), fmt.Sprintf("overflow page %d has type 13", ovfl)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := bdbBlobs(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestNDBErrors(t *testing.T) {
	valid := readTestdata(t, "rpm/Packages.db")
	edit := func(off int, v uint32) []byte {
		b := append([]byte(nil), valid...)
		binary.LittleEndian.PutUint32(b[off:], v)
		return b
	}
	slot1, slot2 := 32, 48 // the first two slots
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"magic", edit(0, 0), "no RpmP magic"},
		{"version", edit(4, 1), "ndb version 1"},
		{"slot pages", edit(12, 100), "100 slot pages do not fit"},
		{"slot magic", edit(slot1, 0), "slot 2: bad magic"},
		{"outside", edit(slot1+8, 1<<30), "outside the blob area"},
		{"in slot pages", edit(slot1+8, 1), "outside the blob area"},
		{"overlap", edit(slot2+8, binary.LittleEndian.Uint32(valid[slot1+8:])), "overlap"},
		{"wrong package", edit(slot1+4, 99), "blob is for package"},
		{"block count", edit(slot1+12, binary.LittleEndian.Uint32(valid[slot1+12:])-1), "bytes of blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ndbBlobs(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
