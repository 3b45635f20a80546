package cert

import (
	"context"
)

// Store keeps certificates and answers resolved matches. Implementations
// (cert/sqlite, cert/postgres) must pass the conformance suite in
// cert/certtest; the Service, not the store, decides what a keyword means.
type Store interface {
	// Get returns one certificate by id, or an error wrapping ErrNotFound.
	Get(ctx context.Context, id string) (Record, error)
	// Find returns one page of the certificates m selects, in the order
	// Match documents, with the exact total.
	Find(ctx context.Context, m Match) (Page, error)
	// Upsert stores a batch in one transaction, keyed by Record.ID: all of
	// the batch is stored or none of it. Records must have been through
	// Prepare. Storing an identical record again counts as unchanged.
	Upsert(ctx context.Context, recs []Record) (UpsertStats, error)
	// Count returns how many certificates the store holds.
	Count(ctx context.Context) (int, error)
	// Close releases the store's connections.
	Close() error
}

// MatchKind says which index a Match uses.
type MatchKind int

// Match kinds.
const (
	// MatchCode selects certificates where any party's code (or the
	// holder's registration number, or the org code embedded in a USCC)
	// equals one of Match.Codes.
	MatchCode MatchKind = iota + 1
	// MatchName selects certificates where any party's NameKey equals
	// Match.Key.
	MatchName
	// MatchFuzzy selects certificates where any party's FuzzyKey contains
	// Match.Key.
	MatchFuzzy
)

// Match is a resolved search as a Store executes it.
//
// Order of results: for MatchFuzzy, closer names first — a party whose
// FuzzyKey equals Key, then one that starts with Key, then one that merely
// contains it, and within each tier shorter names first (a certificate
// ranks by its closest party). Then, for every kind: valid certificates
// first, newest StartDate first, and ID ascending so pages are stable.
type Match struct {
	Kind     MatchKind
	Codes    []string // MatchCode: CodeKey values
	Key      string   // MatchName: a NameKey; MatchFuzzy: a FuzzyKey
	TypeCode string   // optional filter on Record.TypeCode
	Offset   int
	Limit    int
}

// UpsertStats counts what an Upsert did.
type UpsertStats struct {
	Inserted  int
	Updated   int
	Unchanged int
}

// Add accumulates another batch's counts.
func (s *UpsertStats) Add(o UpsertStats) {
	s.Inserted += o.Inserted
	s.Updated += o.Updated
	s.Unchanged += o.Unchanged
}
