package lint

// The unit test of bootc's crates/ostree-ext/src/bootabletree.rs
// (bootc-dev/bootc at 534c76ea), translated: layer.Kernels finds kernels
// as find_kernel_dir_fs does.

import (
	"context"
	"slices"
	"testing"

	"github.com/oslayer/oslayer/layer"
)

// test_find_kernel_dir_fs.
func TestBootcFindKernelDirFS(t *testing.T) {
	const moddir = "usr/lib/modules/"
	for _, tc := range []struct {
		name string
		root []string
		want []string
	}{
		{"empty", nil, nil},
		{"empty modules directory", []string{"d " + moddir}, nil},
		{"one kernel, one directory of modules only", []string{"f " + moddir + "5.12.8-32.aarch64/vmlinuz some kernel", "f " + moddir + "5.13.7-44.aarch64/foo.ko some kmod"},
			[]string{"5.12.8-32.aarch64"}},
		// oslayer: bootc tests that vmlinuz exists, following symlinks, in
		// directories (not symlinks to them).
		{"oslayer: a dangling vmlinuz", []string{"f " + moddir + "5.12.8-32.aarch64/vmlinuz some kernel", "L " + moddir + "5.13.7-44.aarch64/vmlinuz /boot/gone"},
			[]string{"5.12.8-32.aarch64"}},
		{"oslayer: a vmlinuz link that resolves", []string{"f boot/vmlinuz some kernel", "L " + moddir + "5.12.8-32.aarch64/vmlinuz ../../../../boot/vmlinuz"},
			[]string{"5.12.8-32.aarch64"}},
		{"oslayer: a link to a kernel directory", []string{"f " + moddir + "5.12.8-32.aarch64/vmlinuz some kernel", "L " + moddir + "latest 5.12.8-32.aarch64"},
			[]string{"5.12.8-32.aarch64"}},
		{"oslayer: modules reached through a link", []string{"f usr/lib/kernel-modules/6.1/vmlinuz k", "L " + moddir[:len(moddir)-1] + " kernel-modules"}, []string{"6.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tree, err := layer.TreeFromDir(context.Background(), mkroot(t, tc.root...), layer.DirOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := layer.Kernels(tree); !slices.Equal(got, tc.want) {
				t.Errorf("kernels %v, want %v", got, tc.want)
			}
		})
	}
}
