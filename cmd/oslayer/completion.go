package main

import (
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/lint"
)

// Shell completion: cobra's completion command writes the bash, zsh and
// fish scripts, which ask oslayer's hidden __complete command for
// candidates; the functions here give them for flags and arguments.

// imageTransports are the prefixes an image reference starts with.
var imageTransports = []string{"docker://", "oci:", "oci-archive:", "docker-archive:", "containers-storage:"}

// completeFlag registers the completion of a flag of cmd.
func completeFlag(cmd *cobra.Command, flag string, f cobra.CompletionFunc) {
	if err := cmd.RegisterFlagCompletionFunc(flag, f); err != nil {
		panic(err) // a flag name mistyped here
	}
}

// completeValues completes a flag taking one of values.
func completeValues(values ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return startingWith(toComplete, values), cobra.ShellCompDirectiveNoFileComp
	}
}

// startingWith returns the values that start with prefix.
func startingWith(prefix string, values []string) []string {
	var out []string
	for _, v := range values {
		if strings.HasPrefix(v, prefix) {
			out = append(out, v)
		}
	}
	return out
}

// completeImageArgs completes the first n arguments as image references.
func completeImageArgs(n int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) >= n {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return completeImage(cmd, args, toComplete)
	}
}

// completeImage completes an image reference: a transport first, then
// after oci: a directory and the names of the layout's images
// (oci:DIR:NAME), after oci-archive: and docker-archive: a file, after
// containers-storage: a local image.
func completeImage(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	transport, rest, found := strings.Cut(toComplete, ":")
	if !found || len(toComplete) < len("docker://") && strings.HasPrefix("docker://", toComplete) {
		return startingWith(toComplete, imageTransports), cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	}
	prefix := transport + ":"
	switch transport {
	case layer.TransportOCI:
		if dir, name, ok := strings.Cut(rest, ":"); ok {
			names, _ := layer.LayoutNames(dir) // none when DIR is no layout
			return withPrefix(prefix+dir+":", startingWith(name, names)), cobra.ShellCompDirectiveNoFileComp
		}
		return withPrefix(prefix, paths(rest, true)), cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	case layer.TransportOCIArchive, layer.TransportDockerArchive:
		if strings.Contains(rest, ":") {
			return nil, cobra.ShellCompDirectiveNoFileComp // a name inside the archive
		}
		return withPrefix(prefix, paths(rest, false)), cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	case "containers-storage":
		return withPrefix(prefix, startingWith(rest, containersStorageImageNames())), cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveNoFileComp // a registry reference
}

// containersStorageImageNames returns the names of the images in the
// default containers-storage store (podman images), for
// containers-storage:NAME; none when there is no store or it cannot be read.
func containersStorageImageNames() []string {
	names, _ := layer.StoreImageNames()
	return names
}

// paths returns the directories (ending in "/") and, unless dirsOnly, the
// files whose path starts with partial; an OCI layout directory is offered
// as "DIR:" too, ready for the name of one of its images. Hidden entries
// only when partial names them.
func paths(partial string, dirsOnly bool) []string {
	dir, base := filepath.Split(partial)
	entries, err := os.ReadDir(cmp.Or(dir, "."))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, base) || strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".") {
			continue
		}
		p := dir + name
		isDir := e.IsDir()
		if e.Type()&os.ModeSymlink != 0 {
			fi, err := os.Stat(p)
			isDir = err == nil && fi.IsDir()
		}
		switch {
		case isDir:
			out = append(out, p+"/")
			if dirsOnly {
				if _, err := os.Stat(filepath.Join(p, "index.json")); err == nil {
					out = append(out, p+":")
				}
			}
		case !dirsOnly:
			out = append(out, p)
		}
	}
	return out
}

func withPrefix(prefix string, values []string) []cobra.Completion {
	out := make([]cobra.Completion, len(values))
	for i, v := range values {
		out[i] = prefix + v
	}
	return out
}

// completeRuleIDs completes lint's --skip: the rules not skipped yet,
// with what they check.
func completeRuleIDs(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	skipped, _ := cmd.Flags().GetStringSlice("skip")
	var out []cobra.Completion
	for _, r := range lint.Rules() {
		if strings.HasPrefix(r.ID, toComplete) && !slices.Contains(skipped, r.ID) {
			out = append(out, cobra.CompletionWithDesc(r.ID, r.Description))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeKinds completes diff's --kind, a comma-separated list: the
// kinds of change not listed yet, after those that are.
func completeKinds(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	i := strings.LastIndex(toComplete, ",") + 1
	listed := strings.Split(toComplete[:i], ",")
	var names []string
	for _, k := range diff.Kinds {
		if n := k.String(); !slices.Contains(listed, n) {
			names = append(names, n)
		}
	}
	return withPrefix(toComplete[:i], startingWith(toComplete[i:], names)), cobra.ShellCompDirectiveNoFileComp
}

// completeDirs completes a flag naming a directory.
func completeDirs(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveFilterDirs
}
