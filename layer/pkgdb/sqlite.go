package pkgdb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// sqliteBlobs returns the header blobs of an rpmdb.sqlite database whose
// main file holds db and whose write-ahead log holds wal (nil when there is
// none). SQLite needs files: both go to a private temporary directory, so
// the copy can be opened read-write and the log replayed into it even when
// the original has no -shm index.
func sqliteBlobs(ctx context.Context, db, wal []byte) (blobs [][]byte, err error) {
	dir, err := os.MkdirTemp("", "oslayer-rpmdb-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
			err = rerr
		}
	}()
	name := filepath.Join(dir, "rpmdb.sqlite")
	if err := os.WriteFile(name, db, 0o600); err != nil {
		return nil, err
	}
	if wal != nil {
		if err := os.WriteFile(name+"-wal", wal, 0o600); err != nil {
			return nil, err
		}
	}
	conn, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := conn.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	rows, err := conn.QueryContext(ctx, "SELECT blob FROM Packages")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
		blobs = append(blobs, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return blobs, ctx.Err()
}
