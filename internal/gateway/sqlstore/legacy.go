package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LegacyFileName is the certificate store's SQLite file, where versions
// before gateway.db kept the gateway's tables.
const LegacyFileName = "zheng.db"

// moveLegacy moves the gateway's tables (gw_*) out of <dataDir>/zheng.db
// into a new <dataDir>/gateway.db, once. It holds zheng.db's write lock
// throughout, so concurrent starts move the tables once, and it is safe to
// interrupt at any point:
//
//  1. the tables are copied into gateway.db.moving (a plain journal, so the
//     file is whole once closed);
//  2. they are dropped from zheng.db: this commit is the switch;
//  3. gateway.db.moving is renamed to gateway.db.
//
// A crash before 2 leaves zheng.db as it was (the partial copy is redone);
// a crash between 2 and 3 is finished by the next start, which finds no
// tables in zheng.db and a whole gateway.db.moving. Once gateway.db exists,
// zheng.db is not looked at.
func moveLegacy(ctx context.Context, dataDir string) error {
	dst := filepath.Join(dataDir, FileName)
	if exists(dst) {
		return nil
	}
	legacy := filepath.Join(dataDir, LegacyFileName)
	moving := dst + ".moving"
	if !exists(legacy) {
		if exists(moving) { // cannot be: the tables came from zheng.db
			return fmt.Errorf("%s exists without %s: move it to %s by hand if it holds the gateway's data", moving, legacy, dst)
		}
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+legacy+"?_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("open %s: %w", legacy, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil) // immediate: zheng.db's write lock
	if err != nil {
		return fmt.Errorf("move gateway tables: lock %s: %w", legacy, err)
	}
	defer tx.Rollback()
	if exists(dst) { // another process moved them while we waited
		return nil
	}
	objs, err := legacyObjects(ctx, tx)
	if err != nil {
		return fmt.Errorf("move gateway tables: %s: %w", legacy, err)
	}
	if len(objs) == 0 {
		if exists(moving) { // step 3 of an interrupted move
			if err := os.Rename(moving, dst); err != nil {
				return fmt.Errorf("move gateway tables: %w", err)
			}
		}
		return nil
	}
	if err := os.Remove(moving); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("move gateway tables: %w", err)
	}
	if err := copyObjects(ctx, legacy, moving, objs); err != nil {
		os.Remove(moving)
		return fmt.Errorf("move gateway tables from %s: %w", legacy, err)
	}
	// Views before the tables they read; an index goes with its table.
	for _, kind := range []string{"view", "table"} {
		for _, o := range objs {
			if o.kind == kind {
				if _, err := tx.ExecContext(ctx, `DROP `+strings.ToUpper(kind)+` "`+o.name+`"`); err != nil {
					return fmt.Errorf("move gateway tables: drop %s from %s: %w", o.name, legacy, err)
				}
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("move gateway tables: %s: %w", legacy, err)
	}
	if err := os.Rename(moving, dst); err != nil {
		return fmt.Errorf("move gateway tables: %w", err)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

type schemaObject struct{ kind, name, sql string }

// legacyObjects lists the gateway's tables, indexes and views in zheng.db,
// tables first and views last, none when it has none.
func legacyObjects(ctx context.Context, tx *sql.Tx) ([]schemaObject, error) {
	rows, err := tx.QueryContext(ctx, `SELECT type, name, sql FROM sqlite_master
WHERE type IN ('table', 'index', 'view') AND name LIKE 'gw\_%' ESCAPE '\' AND sql IS NOT NULL
ORDER BY type = 'view', type = 'index', rowid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []schemaObject
	for rows.Next() {
		var o schemaObject
		if err := rows.Scan(&o.kind, &o.name, &o.sql); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// copyObjects creates objs in a new SQLite file at path and copies the
// tables' rows from legacy, in one transaction.
func copyObjects(ctx context.Context, legacy, path string, objs []schemaObject) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(DELETE)")
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx) // ATTACH belongs to one connection
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `ATTACH DATABASE ? AS legacy`, "file:"+legacy); err != nil {
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, o := range objs {
		if _, err := tx.ExecContext(ctx, o.sql); err != nil {
			return fmt.Errorf("create %s: %w", o.name, err)
		}
		if o.kind != "table" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO main."`+o.name+`" SELECT * FROM legacy."`+o.name+`"`); err != nil {
			return fmt.Errorf("copy %s: %w", o.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `DETACH DATABASE legacy`); err != nil {
		return err
	}
	return nil
}
