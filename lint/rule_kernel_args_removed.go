package lint

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"slices"

	"github.com/BurntSushi/toml"
)

var kernelArgsRemoved = &Rule{
	ID: "kernel-args-removed", Level: Info, Source: "oslayer", Relative: true, Upgrade: true,
	Description: "kernel arguments the previous release's kargs.d had and the new one drops",
	Help: "On upgrade, bootc applies the difference between the two releases' /usr/lib/bootc/kargs.d: arguments the new release adds are added to the machine's kernel command line, and arguments it dropped are removed, even where the machine's administrator had set the same argument. " +
		"rpm-ostree upgrade does not read kargs.d and leaves the command line alone. If the argument must stay on machines that had it, keep it in kargs.d; if only some machines need it, set it there with bootc or rpm-ostree kargs instead.",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		oldArgs, newArgs := kargsIn(t.Previous.Tree.FS()), kargsIn(t.Tree.FS())
		var out []Finding
		for _, arg := range slices.Sorted(maps.Keys(oldArgs)) {
			if _, kept := newArgs[arg]; !kept {
				out = append(out, finding("/"+oldArgs[arg], "", fmt.Sprintf("the new release drops %q: bootc removes it from the kernel command line of upgraded machines", arg)))
			}
		}
		return out, nil
	},
}

// kargsIn returns the arguments a tree's kargs.d files add, each with the
// file that adds it (for any architecture: a release that moves an
// argument between architectures is a change too).
func kargsIn(fsys fs.FS) map[string]string {
	out := map[string]string{}
	files := confFiles(fsys, []string{kargsDir}, ".toml")
	for _, p := range slices.Sorted(maps.Keys(files)) {
		var kf kargsFile
		if _, err := toml.Decode(files[p], &kf); err != nil {
			continue // bootc-kargs reports it
		}
		for _, a := range kf.Kargs {
			if _, seen := out[a]; !seen {
				out[a] = p
			}
		}
	}
	return out
}
