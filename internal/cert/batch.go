package cert

import "context"

// A Batcher is a Store that can keep one write transaction open across
// several Upserts, so an import commits in large batches without holding
// a whole batch in memory: fewer commits rewrite the pages of random-key
// indexes fewer times.
type Batcher interface {
	Begin(ctx context.Context) (Tx, error)
}

// Tx is a write transaction of a Batcher: all of its Upserts are stored,
// or none. Only one is open at a time per store; Begin waits for the
// previous one to end. Rollback after Commit does nothing, so a deferred
// Rollback is always safe.
type Tx interface {
	Upsert(ctx context.Context, recs []Record) (UpsertStats, error)
	Commit() error
	Rollback() error
}

// UpsertTx stores recs in one transaction of b: the Upsert of a Store
// that is a Batcher.
func UpsertTx(ctx context.Context, b Batcher, recs []Record) (UpsertStats, error) {
	if len(recs) == 0 {
		return UpsertStats{}, nil
	}
	tx, err := b.Begin(ctx)
	if err != nil {
		return UpsertStats{}, err
	}
	defer tx.Rollback()
	st, err := tx.Upsert(ctx, recs)
	if err != nil {
		return UpsertStats{}, err
	}
	return st, tx.Commit()
}
