package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/zhengapi/zheng/internal/cert"
)

// The data steps of migrations (see migrationData). Each walks the store
// a window of rids at a time, so migrating a large store holds one
// window in memory, not the store.

// ridWindow is how many rids a data step reads at once.
const ridWindow = 50000

// eachRIDWindow calls f with consecutive half-open rid ranges that cover
// cert_records.
func eachRIDWindow(ctx context.Context, tx *sql.Tx, f func(lo, hi int64) error) error {
	var top int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(rid), 0) FROM cert_records`).Scan(&top); err != nil {
		return err
	}
	for lo := int64(0); lo <= top; lo += ridWindow {
		if err := f(lo, lo+ridWindow); err != nil {
			return fmt.Errorf("rids %d–%d: %w", lo, lo+ridWindow-1, err)
		}
	}
	return nil
}

// eachRow runs query and calls scan for each row.
func eachRow(ctx context.Context, tx *sql.Tx, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// backfillTerms fills cert_terms from the tables migration 1 created and
// drops the indexes it replaces (migration 4).
func backfillTerms(ctx context.Context, tx *sql.Tx) error {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO cert_terms(rowid, terms) VALUES (?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	type doc struct {
		names []cert.NameKeys
		codes []string
	}
	err = eachRIDWindow(ctx, tx, func(lo, hi int64) error {
		docs := map[int64]*doc{}
		get := func(rid int64) *doc {
			if docs[rid] == nil {
				docs[rid] = &doc{}
			}
			return docs[rid]
		}
		window := []any{lo, hi}
		err := eachRow(ctx, tx, `SELECT rid, name_key, fuzzy_key FROM cert_names WHERE rid >= ? AND rid < ?`, window, func(rows *sql.Rows) error {
			var rid int64
			var n cert.NameKeys
			if err := rows.Scan(&rid, &n.Exact, &n.Fuzzy); err != nil {
				return err
			}
			get(rid).names = append(get(rid).names, n)
			return nil
		})
		if err != nil {
			return err
		}
		err = eachRow(ctx, tx, `SELECT rid, code FROM cert_codes WHERE rid >= ? AND rid < ?`, window, func(rows *sql.Rows) error {
			var rid int64
			var c string
			if err := rows.Scan(&rid, &c); err != nil {
				return err
			}
			get(rid).codes = append(get(rid).codes, c)
			return nil
		})
		if err != nil {
			return err
		}
		for rid, d := range docs {
			if _, err := stmt.ExecContext(ctx, rid, termsOf(d.names, d.codes)); err != nil {
				return fmt.Errorf("certificate %d: %w", rid, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, q := range []string{`DROP TABLE cert_fts`, `DROP TABLE cert_codes`, `DROP INDEX cert_names_key`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// rehashIDs fills cert_ids for the rows migration 5 copied.
func rehashIDs(ctx context.Context, tx *sql.Tx) error {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO cert_ids(id_hash, rid) VALUES (?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	return eachRIDWindow(ctx, tx, func(lo, hi int64) error {
		type row struct {
			rid int64
			id  string
		}
		var rs []row
		err := eachRow(ctx, tx, `SELECT rid, id FROM cert_records WHERE rid >= ? AND rid < ?`, []any{lo, hi}, func(rows *sql.Rows) error {
			var r row
			err := rows.Scan(&r.rid, &r.id)
			rs = append(rs, r)
			return err
		})
		if err != nil {
			return err
		}
		for _, r := range rs {
			if _, err := stmt.ExecContext(ctx, idHash(r.id), r.rid); err != nil {
				return err
			}
		}
		return nil
	})
}
