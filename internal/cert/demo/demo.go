// Package demo loads zheng's built-in demo dataset into an empty
// certificate store: Count synthetic certificates from certgen with a
// fixed seed, plus the two certificates the vendor documents show, so
// that the examples in those documents work against a fresh server.
package demo

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/certgen"
)

// Count and Seed define the synthetic part of the demo dataset.
const (
	Count = 10000
	Seed  = 20160721
)

// fixtures holds the seed documents' two certificates in canonical JSONL.
//
//go:embed fixtures.jsonl
var fixtures []byte

// Fixtures returns the two certificates of the vendor documents.
func Fixtures() ([]cert.Record, error) {
	var out []cert.Record
	sc := bufio.NewScanner(bytes.NewReader(fixtures))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r cert.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("demo fixture %d: %w", len(out)+1, err)
		}
		if err := cert.Prepare(&r); err != nil {
			return nil, fmt.Errorf("demo fixture %d: %w", len(out)+1, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// Load inserts the demo dataset when the store holds no certificates and
// returns how many it inserted (0 for a store that already has data).
func Load(ctx context.Context, s cert.Store) (int, error) {
	n, err := s.Count(ctx)
	if err != nil || n > 0 {
		return 0, err
	}
	fx, err := Fixtures()
	if err != nil {
		return 0, err
	}
	var st cert.UpsertStats
	g := certgen.New(Seed)
	batch := make([]cert.Record, 0, 1000)
	for i := 0; i < Count; i++ {
		r := g.Next()
		if err := cert.Prepare(&r); err != nil {
			return 0, fmt.Errorf("demo record %d: %w", i+1, err)
		}
		batch = append(batch, r)
		if len(batch) == cap(batch) || i == Count-1 {
			if i == Count-1 {
				batch = append(batch, fx...)
			}
			bs, err := s.Upsert(ctx, batch)
			if err != nil {
				return 0, fmt.Errorf("load demo data: %w", err)
			}
			st.Add(bs)
			batch = batch[:0]
		}
	}
	return st.Inserted + st.Updated, nil
}
