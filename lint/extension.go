package lint

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/sysext"
)

// ExtensionInput says what extension image to lint, against what host.
type ExtensionInput struct {
	// Path is the extension: NAME.raw (squashfs or EROFS) or a directory.
	Path string
	// Host is the image the extension is merged on.
	Host string
	// MutableDir is a copy of a host's /var/lib/extensions.mutable (its
	// usr/, opt/, etc/ are the upper directories of systemd-sysext and
	// systemd-confext --mutable=yes|auto); "" for none.
	MutableDir string
	Image      layer.Options
	Loader     *layer.Loader
}

// Extension is an extension image and the host it is judged against.
type Extension struct {
	*sysext.Extension
	// HostName is the host image's reference.
	HostName string
	HostTree *layer.Tree
	// HostOSRelease is where the host's os-release is; Host what systemd
	// reads of it and of the host's architecture.
	HostOSRelease string
	Host          sysext.Host
	// HostOwners names the packages of the host's files.
	HostOwners layer.Owners
	// Mutable is the tree of the mutable directory; nil without one.
	Mutable *layer.Tree

	host *layer.Source
}

// OpenExtension reads an extension image and opens its host.
func OpenExtension(ctx context.Context, in ExtensionInput) (*Target, error) {
	x, err := sysext.Open(ctx, in.Path)
	if err != nil {
		return nil, err
	}
	var mutable *layer.Tree
	if in.MutableDir != "" {
		if st, err := os.Stat(in.MutableDir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("--mutable-dir %s: not a directory", in.MutableDir)
		}
		if mutable, err = layer.TreeFromDir(ctx, in.MutableDir, layer.DirOptions{Hash: true}); err != nil {
			return nil, fmt.Errorf("--mutable-dir: %w", err)
		}
	}
	host, err := layer.OpenSource(ctx, layer.Request{Ref: in.Host, Content: layer.ContentKept, Packages: true, Options: in.Image, Loader: in.Loader})
	if err != nil {
		return nil, fmt.Errorf("--host: %w", err)
	}
	e := &Extension{Extension: x, HostName: host.Name, HostTree: host.Tree, Mutable: mutable, host: host,
		HostOwners: layer.NewOwners(host.Tree, host.Packages)}
	var fields map[string]string
	e.HostOSRelease, fields, err = sysext.ReadOSRelease(host.Tree.FS())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		host.Close()
		return nil, fmt.Errorf("--host %s: %w", host.Name, err)
	}
	arch := ""
	if host.Image != nil && host.Image.Config != nil {
		arch = sysext.Architecture(host.Image.Config.Architecture)
	}
	e.Host = sysext.NewHost(fields, arch)
	t := &Target{Name: in.Path, Tree: x.Tree, Extension: e, Packages: host.Packages, Owners: e.HostOwners}
	t.Notes = append(t.Notes, fmt.Sprintf("%s %s read as %s, judged against the host %s (%s)", x.Format, in.Path, strings.Join(kindNames(e.Kinds()), " and "), host.Name, e.hostSummary()))
	return t, nil
}

func (e *Extension) hostSummary() string {
	h := e.Host
	var parts []string
	for _, f := range []struct{ k, v string }{{"ID", h.ID}, {"ID_LIKE", h.IDLike}, {"VERSION_ID", h.VersionID},
		{"SYSEXT_LEVEL", h.SysextLevel}, {"CONFEXT_LEVEL", h.ConfextLevel}, {"architecture", h.Architecture}} {
		if f.v != "" {
			parts = append(parts, f.k+"="+f.v)
		}
	}
	if len(parts) == 0 {
		return "no os-release"
	}
	return strings.Join(parts, " ")
}

// Kinds are the kinds of extension the image is: those it has an
// extension-release file for, else those whose hierarchies it fills.
func (e *Extension) Kinds() []sysext.Kind {
	var out []sysext.Kind
	for _, k := range sysext.Kinds {
		if e.Releases[k] != nil {
			out = append(out, k)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, k := range sysext.Kinds {
		if slices.ContainsFunc(k.Hierarchies(), func(h string) bool { return e.Tree.Lookup(h) != nil }) {
			out = append(out, k)
		}
	}
	return out
}

func kindNames(kinds []sysext.Kind) []string {
	var out []string
	for _, k := range kinds {
		out = append(out, k.String())
	}
	if len(out) == 0 {
		return []string{"no extension"}
	}
	return out
}

// inHierarchy reports whether the relative path p is in a hierarchy of
// one of the extension's kinds, and which.
func (e *Extension) inHierarchy(p string) (sysext.Kind, bool) {
	for _, k := range e.Kinds() {
		if k.Contains(p) {
			return k, true
		}
	}
	return 0, false
}
