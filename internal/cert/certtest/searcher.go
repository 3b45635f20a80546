package certtest

import (
	"context"
	"strings"

	"github.com/zhengapi/zheng/internal/cert"
)

// Searcher is an in-memory cert.Searcher for handler tests: a keyword
// matches a record whose holder name equals it (or contains it unless the
// query is exact) or whose credit code equals it. It records the last query
// and the number of calls; Err, when set, is returned by every call.
type Searcher struct {
	Records []cert.Record
	Err     error
	Last    cert.Query
	Calls   int
}

var _ cert.Searcher = (*Searcher)(nil)

// Search implements cert.Searcher.
func (f *Searcher) Search(ctx context.Context, q cert.Query) (cert.Page, error) {
	f.Last, f.Calls = q, f.Calls+1
	if f.Err != nil {
		return cert.Page{}, f.Err
	}
	var hits []cert.Record
	for _, r := range f.Records {
		if r.CreditCode == q.Keyword || r.EnterpriseName == q.Keyword ||
			(!q.Exact && strings.Contains(r.EnterpriseName, q.Keyword)) {
			if q.TypeCode == "" || q.TypeCode == r.TypeCode {
				hits = append(hits, r)
			}
		}
	}
	p := cert.Page{Total: len(hits)}
	if from := (q.Page - 1) * q.PageSize; from < len(hits) {
		p.Items = hits[from:min(from+q.PageSize, len(hits))]
	}
	return p, nil
}

// Get implements cert.Searcher.
func (f *Searcher) Get(ctx context.Context, id string) (cert.Record, error) {
	f.Calls++
	if f.Err != nil {
		return cert.Record{}, f.Err
	}
	for _, r := range f.Records {
		if r.ID == id {
			return r, nil
		}
	}
	return cert.Record{}, cert.ErrNotFound
}
