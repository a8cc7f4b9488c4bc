package butane

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.golden")

// targetFiles are what the golden configs render onto: the lint-clean base
// plus units to enable, disable and unmask, and a time zone to replace.
func targetFiles() [][]fixtures.File {
	return [][]fixtures.File{
		fixtures.CleanBaseFiles(),
		{
			fixtures.Dir("usr/lib/systemd", 0o755), fixtures.Dir("usr/lib/systemd/system", 0o755),
			fixtures.Reg("usr/lib/systemd/system/sshd.service", "[Service]\nExecStart=/usr/sbin/sshd -D\n[Install]\nWantedBy=multi-user.target\n", 0o644),
			fixtures.Reg("usr/lib/systemd/system/chronyd.service", "[Service]\nExecStart=/usr/sbin/chronyd\n[Install]\nWantedBy=multi-user.target\nAlias=timesync.service\n", 0o644),
			fixtures.Dir("usr/share/zoneinfo", 0o755), fixtures.Reg("usr/share/zoneinfo/UTC", "TZif2\n", 0o644),
			fixtures.Dir("etc/systemd", 0o755), fixtures.Dir("etc/systemd/system", 0o755),
			fixtures.Dir("etc/systemd/system/multi-user.target.wants", 0o755),
			fixtures.Symlink("etc/systemd/system/multi-user.target.wants/chronyd.service", "/usr/lib/systemd/system/chronyd.service"),
			fixtures.Symlink("etc/systemd/system/timesync.service", "/usr/lib/systemd/system/chronyd.service"),
			fixtures.Symlink("etc/systemd/system/masked-in-base.service", "/dev/null"),
			fixtures.Symlink("etc/localtime", "../usr/share/zoneinfo/UTC"),
		},
	}
}

// imageTarget writes the target image to an OCI layout and reads it back
// as oslayer butane --base does.
func imageTarget(t *testing.T) (*Target, *layer.Image) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	fixtures.WriteOCILayout(t, dir, fixtures.Named{Name: "base", Image: fixtures.Image(t, fixtures.CleanBaseLabels, nil, fixtures.Layers(t, targetFiles())...)})
	l, err := layer.NewLoader(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	src, err := layer.OpenSource(ctx, layer.Request{Ref: "oci:" + dir + ":base", Content: layer.ContentReread, Loader: l})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	target, img := NewTarget(src), src.Image
	return target, img
}

// describe renders a result for people and golden files.
func describe(cfg *Config, msgs []Message, res *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: Ignition %s\n", cfg.Name, cfg.Version)
	for _, m := range append(msgs, res.Messages...) {
		fmt.Fprintf(&b, "message: %s\n", m)
	}
	b.WriteString("\n")
	for _, e := range res.Entries {
		switch {
		case e.Remove:
			fmt.Fprintf(&b, "%s removed\n", e.Path)
			continue
		case e.Hardlink != "":
			fmt.Fprintf(&b, "%s hardlink %04o %d:%d => %s\n", e.Path, e.Mode, e.UID, e.GID, e.Hardlink)
			continue
		}
		fmt.Fprintf(&b, "%s %s %04o %d:%d", e.Path, e.Type, e.Mode, e.UID, e.GID)
		if e.Link != "" {
			fmt.Fprintf(&b, " -> %s", e.Link)
		}
		b.WriteString("\n")
		for _, line := range strings.SplitAfter(string(e.Data), "\n") {
			if line != "" {
				fmt.Fprintf(&b, "    | %s", strings.TrimSuffix(line, "\n")+"\n")
			}
		}
	}
	if len(res.Firstboot.Parts) > 0 {
		b.WriteString("\nfirstboot:\n")
		for _, p := range res.Firstboot.Parts {
			fmt.Fprintf(&b, "  %s\n", p)
		}
		data, _ := res.Firstboot.Config()
		b.Write(data)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	ctx := context.Background()
	target, _ := imageTarget(t)
	configs, _ := filepath.Glob("testdata/golden/*.bu")
	if len(configs) < 6 {
		t.Fatalf("only %d golden configs", len(configs))
	}
	for _, path := range configs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			input, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			cfg, msgs, err := Translate(filepath.Base(path), input, Options{FilesDir: "testdata/golden/files", Strict: true})
			if err != nil {
				t.Fatalf("%v\n%v", err, msgs)
			}
			res, err := Render(ctx, cfg, target, RenderOptions{Firstboot: true})
			if err != nil {
				t.Fatal(err)
			}
			got := describe(cfg, msgs, res)
			golden := strings.TrimSuffix(path, ".bu") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test ./butane -run Golden -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from what the config renders to (-update rewrites it):\n%s", golden, lineDiff(string(want), got))
			}
		})
	}
}

// lineDiff shows the lines only one side has.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	inW, inG := map[string]bool{}, map[string]bool{}
	for _, l := range w {
		inW[l] = true
	}
	for _, l := range g {
		inG[l] = true
	}
	var out []string
	for _, l := range w {
		if !inG[l] {
			out = append(out, "-"+l)
		}
	}
	for _, l := range g {
		if !inW[l] {
			out = append(out, "+"+l)
		}
	}
	return strings.Join(out, "\n")
}
