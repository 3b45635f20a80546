package sqlite

import (
	"encoding/hex"
	"slices"
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

// unindexed are bigrams nearly every company name holds (有限公司, the
// fuzzy key's form of every limited company): they select nothing, and
// leaving them out of the index saves a quarter of its terms. A keyword
// made of nothing else (限公) is checked against every name.
var unindexed = map[string]bool{"有限": true, "限公": true, "公司": true}

// termsOf returns the cert_terms document of a certificate.
func termsOf(names []cert.NameKeys, codes []string) string {
	size := 0
	for _, n := range names {
		size += 2*len(n.Fuzzy) + 18
	}
	for _, c := range codes {
		size += len(c) + 2
	}
	b := make([]byte, 0, size)
	// A certificate has a few dozen terms: a linear search of those kept
	// costs less than a map.
	var seen []string
	add := func(t string) {
		if t == "" || unindexed[t] || slices.Contains(seen, t) {
			return
		}
		seen = append(seen, t)
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = append(b, t...)
	}
	for _, n := range names {
		forBigrams(n.Fuzzy, add)
		add(nameTerm(n.Exact))
	}
	for _, c := range codes {
		add(codeTerm(c))
	}
	return string(b)
}

// forBigrams calls f with each overlapping two-character term of a fuzzy
// key (a one-character key is its own term).
func forBigrams(fuzzy string, f func(string)) {
	if utf8.RuneCountInString(fuzzy) < 2 {
		f(fuzzy)
		return
	}
	for i := 0; i < len(fuzzy); {
		_, a := utf8.DecodeRuneInString(fuzzy[i:])
		if i+a >= len(fuzzy) {
			return
		}
		_, b := utf8.DecodeRuneInString(fuzzy[i+a:])
		f(fuzzy[i : i+a+b])
		i += a
	}
}

// bigrams returns the terms forBigrams yields.
func bigrams(fuzzy string) []string {
	var out []string
	forBigrams(fuzzy, func(g string) {
		if g != "" {
			out = append(out, g)
		}
	})
	return out
}

// nameTerm is the exact-search term of a name key.
func nameTerm(key string) string {
	if key == "" {
		return ""
	}
	return "n" + strconv.FormatUint(fnv64a(key), 16)
}

// fnv64a is FNV-1a (as hash/fnv computes it) without an allocation.
func fnv64a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
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
