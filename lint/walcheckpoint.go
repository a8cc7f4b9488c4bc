package lint

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/oslayer/oslayer/internal/rootdir"
)

// Checkpoint is a sqlite database whose WAL was merged and removed.
type Checkpoint struct {
	Path string `json:"path"`
	// Bytes is the size of the -wal and -shm files removed.
	Bytes int64 `json:"bytes"`
}

// checkpointWAL merges the write-ahead log of every sqlite package
// database into the database, switches it to rollback-journal mode (so a
// read-only /usr can still be read without a -shm file) and removes the
// -wal and -shm files. With dryRun it only lists them.
func checkpointWAL(r *rootdir.Dir, ctx context.Context, dryRun bool) ([]Checkpoint, error) {
	var out []Checkpoint
	for _, dir := range packageDBDirs {
		rel := strings.TrimPrefix(dir, "/")
		fd, err := r.OpenDir(rel)
		if err != nil {
			continue // missing, or a symlink (var/lib/rpm on Fedora) handled through its target
		}
		cps, err := checkpointDir(r, ctx, fd, rel, dryRun)
		unix.Close(fd)
		if err != nil {
			return out, err
		}
		out = append(out, cps...)
	}
	return out, nil
}

func checkpointDir(r *rootdir.Dir, ctx context.Context, fd int, rel string, dryRun bool) ([]Checkpoint, error) {
	entries, err := rootdir.Names(fd)
	if err != nil {
		return nil, err
	}
	var out []Checkpoint
	done := map[string]bool{}
	for _, name := range entries {
		db, ok := strings.CutSuffix(name, "-wal")
		if !ok {
			db, ok = strings.CutSuffix(name, "-shm")
		}
		if !ok || done[db] || !regularAt(fd, db) {
			continue
		}
		done[db] = true
		before := sizeAt(fd, db+"-wal") + sizeAt(fd, db+"-shm")
		if dryRun {
			out = append(out, Checkpoint{Path: "/" + rel + "/" + db, Bytes: before})
			continue
		}
		// The database is reached through the directory's descriptor, so
		// sqlite opens it, its log and its lock file in this directory
		// and nowhere else.
		if err := checkpoint(ctx, fmt.Sprintf("/proc/self/fd/%d/%s", fd, db)); err != nil {
			return out, fmt.Errorf("checkpointing %s: %w", r.Host(rel+"/"+db), err)
		}
		for _, leftover := range []string{db + "-wal", db + "-shm"} {
			if err := unix.Unlinkat(fd, leftover, 0); err != nil && !errors.Is(err, unix.ENOENT) {
				return out, fmt.Errorf("removing %s: %w", r.Host(rel+"/"+leftover), err)
			}
		}
		out = append(out, Checkpoint{Path: "/" + rel + "/" + db, Bytes: before})
	}
	return out, nil
}

func checkpoint(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{"PRAGMA wal_checkpoint(TRUNCATE)", "PRAGMA journal_mode=DELETE"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return db.Close()
}

func regularAt(fd int, name string) bool {
	var st unix.Stat_t
	return unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG
}

func sizeAt(fd int, name string) int64 {
	var st unix.Stat_t
	if unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
		return 0
	}
	return st.Size
}
