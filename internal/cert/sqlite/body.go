package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/s2"
)

// Bodies and heads are stored as S2 blocks against a dictionary sampled
// from the store's own certificates (table cert_dicts). Certificate JSON
// repeats the same section and field labels, issuers and phrasing from
// one record to the next, so a dictionary of a few dozen real bodies
// shrinks a 1.8 KB body about six times, at a few microseconds to
// compress and one to decompress. Fewer bytes written is what makes a
// bulk import fast: the writer's cost is dominated by pages, not rows.
//
// A stored value is either plain JSON (rows written before compression,
// or when the store had no dictionary yet: it starts with '{') or
// codecDict, the uvarint id of a cert_dicts row and the S2 block.
const codecDict = 0x01

const (
	// dictSize is how many bytes of sample bodies a dictionary holds
	// (S2 allows up to 64 KiB).
	dictSize = 48 << 10
	// dictMinBatch is the smallest batch that may train a dictionary; a
	// few records are too narrow a sample.
	dictMinBatch = 256
	// dictProbe is how many records of a batch are compressed with both
	// the current and a fresh dictionary to decide whether the data has
	// changed enough to need a new one.
	dictProbe = 16
	// retrainGain is how much smaller the fresh dictionary must make the
	// probe before it replaces the current one.
	retrainGain = 1.25
)

// dicts caches the dictionaries by id. A dictionary row never changes
// once committed, so the cache needs no invalidation; the writer adds
// the ones it creates after its transaction commits, readers load others
// (written by another process) on first use.
type dicts struct {
	mu   sync.RWMutex
	byID map[int64]*s2.Dict
}

func (d *dicts) get(id int64) *s2.Dict {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.byID[id]
}

func (d *dicts) put(id int64, dict *s2.Dict) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.byID == nil {
		d.byID = map[int64]*s2.Dict{}
	}
	d.byID[id] = dict
}

// dict returns dictionary id, loading it on first use.
func (s *Store) dict(ctx context.Context, q querier, id int64) (*s2.Dict, error) {
	if d := s.dicts.get(id); d != nil {
		return d, nil
	}
	var b []byte
	if err := q.QueryRowContext(ctx, `SELECT dict FROM cert_dicts WHERE id = ?`, id).Scan(&b); err != nil {
		return nil, fmt.Errorf("dictionary %d: %w", id, err)
	}
	d := s2.NewDict(b)
	if d == nil {
		return nil, fmt.Errorf("dictionary %d: malformed", id)
	}
	s.dicts.put(id, d)
	return d, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// unpack returns the JSON of a stored body or head.
func (s *Store) unpack(ctx context.Context, b []byte) ([]byte, error) {
	if len(b) == 0 || b[0] != codecDict {
		return b, nil
	}
	id, n := binary.Uvarint(b[1:])
	if n <= 0 {
		return nil, errors.New("malformed dictionary id")
	}
	d, err := s.dict(ctx, s.db, int64(id))
	if err != nil {
		return nil, err
	}
	out, err := d.Decode(nil, b[1+n:])
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	return out, nil
}

// pack compresses raw JSON with dictionary id (0: none, stored as is).
func pack(id int64, d *s2.Dict, raw []byte) []byte {
	if d == nil {
		return raw
	}
	out := make([]byte, 1+binary.MaxVarintLen64, 1+binary.MaxVarintLen64+s2.MaxEncodedLen(len(raw)))
	out[0] = codecDict
	n := 1 + binary.PutUvarint(out[1:], uint64(id))
	enc := d.Encode(out[n:], raw)
	// Encode writes into out[n:] when it fits, which it always does.
	return out[:n+len(enc)]
}

// train builds a dictionary from bodies spread evenly over a batch,
// skipping every index in skip (the probe, so it is judged fairly).
func train(bodies [][]byte, skip map[int]bool) *s2.Dict {
	var data []byte
	step := max(1, len(bodies)/64)
	for i := 0; i < len(bodies) && len(data) < dictSize; i += step {
		if !skip[i] {
			data = append(data, bodies[i]...)
		}
	}
	if len(data) > dictSize {
		data = data[len(data)-dictSize:]
	}
	// Every body starts like this; S2 then begins a block with a match.
	return s2.MakeDict(data, []byte(`{"id":"`))
}

// chooseDict decides which dictionary a batch is written with, given the
// raw bodies of (a prefix of) the batch and the store's current one. It
// returns a fresh dictionary (fresh true) when there is none yet or when
// the batch compresses markedly better with one trained on itself.
func chooseDict(cur *s2.Dict, bodies [][]byte) (d *s2.Dict, fresh bool) {
	if len(bodies) < dictMinBatch {
		return cur, false
	}
	if cur == nil {
		return train(bodies, nil), true
	}
	probe := map[int]bool{}
	step := len(bodies) / dictProbe
	for i := range dictProbe {
		probe[i*step+step/2] = true
	}
	cand := train(bodies, probe)
	if cand == nil {
		return cur, false
	}
	var withCur, withCand int
	var buf []byte
	for i := range probe {
		buf = cur.Encode(buf[:0], bodies[i])
		withCur += len(buf)
		buf = cand.Encode(buf[:0], bodies[i])
		withCand += len(buf)
	}
	if float64(withCur) > retrainGain*float64(withCand) {
		return cand, true
	}
	return cur, false
}
