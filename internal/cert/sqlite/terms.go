package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zhengapi/zheng/internal/cert"
)

// One full-text row per certificate (cert_terms, rowid = rid) indexes
// everything a search looks up, as space-separated terms:
//
//   - the character bigrams of every party's fuzzy key (cert.Bigrams), for
//     containment search; candidates are then checked against cert_names;
//   - "n" and a 64-bit hash of every party's name key, for exact search;
//     candidates are checked against cert_names.name_key;
//   - "c" and every code key, for code search, with a unified social
//     credit code folded to the organisation code inside it (a search by
//     credit code always asks for that organisation code too, so the
//     answer is the same and a certificate needs one term less).
//
// FTS5 buffers terms in memory and writes them as sorted segments, so an
// insert costs far less than a row in a B-tree index keyed by a random
// code or name would; detail=none keeps no positions (no query needs
// them) and the ascii tokenizer treats every non-ASCII byte as part of a
// term, which is exactly what a CJK bigram is.

// termsOf returns the cert_terms document of a certificate.
func termsOf(names []cert.NameKeys, codes []string) string {
	var b strings.Builder
	seen := make(map[string]bool, 32)
	add := func(t string) {
		if t == "" || seen[t] {
			return
		}
		seen[t] = true
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t)
	}
	for _, n := range names {
		for _, g := range bigrams(n.Fuzzy) {
			add(g)
		}
		add(nameTerm(n.Exact))
	}
	for _, c := range codes {
		add(codeTerm(c))
	}
	return b.String()
}

// bigrams returns the overlapping two-character terms of a fuzzy key (a
// one-character key is its own term).
func bigrams(fuzzy string) []string {
	if utf8.RuneCountInString(fuzzy) < 2 {
		if fuzzy == "" {
			return nil
		}
		return []string{fuzzy}
	}
	var out []string
	for i := 0; i < len(fuzzy); {
		_, a := utf8.DecodeRuneInString(fuzzy[i:])
		if i+a >= len(fuzzy) {
			break
		}
		_, b := utf8.DecodeRuneInString(fuzzy[i+a:])
		out = append(out, fuzzy[i:i+a+b])
		i += a
	}
	return out
}

// nameTerm is the exact-search term of a name key.
func nameTerm(key string) string {
	if key == "" {
		return ""
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	return "n" + strconv.FormatUint(h.Sum64(), 16)
}

// codeTerm is the code-search term of a code key.
func codeTerm(code string) string {
	if org := cert.OrgCodeOf(code); org != "" {
		code = org
	}
	if code == "" {
		return ""
	}
	for i := 0; i < len(code); i++ {
		if c := code[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			// The ascii tokenizer would split it; hex keeps it one term.
			return "x" + hex.EncodeToString([]byte(code))
		}
	}
	return "c" + code
}

// quoted is an FTS5 string: each term is one token, so a quoted term is a
// single-token phrase, which detail=none supports.
func quoted(t string) string { return `"` + strings.ReplaceAll(t, `"`, `""`) + `"` }

// queryable reports whether a bigram is exactly one term under the ascii
// tokenizer (it always is for fuzzy keys, which hold letters and digits
// only; the check keeps a query from ever asking for less than a term).
func queryable(g string) bool {
	for i := 0; i < len(g); i++ {
		c := g[i]
		if c < 0x80 && !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return g != ""
}

// backfillTerms fills cert_terms from the tables migration 1 created and
// drops the indexes it replaces (migration 4).
func backfillTerms(ctx context.Context, tx *sql.Tx) error {
	type doc struct {
		names []cert.NameKeys
		codes []string
	}
	docs := map[int64]*doc{}
	get := func(rid int64) *doc {
		d := docs[rid]
		if d == nil {
			d = &doc{}
			docs[rid] = d
		}
		return d
	}
	rows, err := tx.QueryContext(ctx, `SELECT rid, name_key, fuzzy_key FROM cert_names`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var rid int64
		var n cert.NameKeys
		if err := rows.Scan(&rid, &n.Exact, &n.Fuzzy); err != nil {
			rows.Close()
			return err
		}
		get(rid).names = append(get(rid).names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if rows, err = tx.QueryContext(ctx, `SELECT rid, code FROM cert_codes`); err != nil {
		return err
	}
	for rows.Next() {
		var rid int64
		var c string
		if err := rows.Scan(&rid, &c); err != nil {
			rows.Close()
			return err
		}
		get(rid).codes = append(get(rid).codes, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO cert_terms(rowid, terms) VALUES (?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for rid, d := range docs {
		if _, err := stmt.ExecContext(ctx, rid, termsOf(d.names, d.codes)); err != nil {
			return fmt.Errorf("certificate %d: %w", rid, err)
		}
	}
	for _, q := range []string{`DROP TABLE cert_fts`, `DROP TABLE cert_codes`, `DROP INDEX cert_names_key`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
