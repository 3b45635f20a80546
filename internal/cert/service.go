package cert

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Errors for keywords the search refuses. 企查查 answers them with its own
// codes (213 and 215); 聚美 reports a parameter error.
var (
	// ErrKeywordTooShort: a name keyword has fewer than two letters or
	// digits after normalisation.
	ErrKeywordTooShort = errors.New("keyword shorter than 2 characters")
	// ErrKeywordGeneric: a name keyword is a bare legal form or generic
	// word such as 有限公司 that would list every company.
	ErrKeywordGeneric = errors.New("keyword is a generic word")
)

// MinKeywordLen is the fewest letters or digits a name keyword needs.
const MinKeywordLen = 2

// Service answers certificate searches from a Store by the search rules:
// a keyword shaped like a credit code, registration number or org code is
// looked up as that code; anything else is a company name matched whole
// (Query.Exact) or by containment, after normalisation.
type Service struct {
	store Store
}

// NewService returns a Service reading from store.
func NewService(store Store) *Service { return &Service{store: store} }

var _ Searcher = (*Service)(nil)

// Resolve validates q and turns it into the Match a Store executes.
func Resolve(q Query) (Match, error) {
	if q.Page < 1 {
		return Match{}, &ParamError{Param: "Page", Reason: "must be at least 1"}
	}
	if q.PageSize < 1 || q.PageSize > MaxPageSize {
		return Match{}, &ParamError{Param: "PageSize", Reason: fmt.Sprintf("must be between 1 and %d", MaxPageSize)}
	}
	if strings.TrimSpace(q.Keyword) == "" {
		return Match{}, &ParamError{Param: "Keyword", Reason: "required"}
	}
	m := Match{TypeCode: strings.TrimSpace(q.TypeCode), Offset: (q.Page - 1) * q.PageSize, Limit: q.PageSize}
	kw := ParseKeyword(q.Keyword)
	switch kw.Kind {
	case KindUSCC:
		// Old certificates carry only the 9-char org code inside the USCC.
		m.Kind, m.Codes = MatchCode, []string{kw.Value, OrgCodeOf(kw.Value)}
	case KindRegNo, KindOrgCode:
		m.Kind, m.Codes = MatchCode, []string{kw.Value}
	default:
		fuzzy := FuzzyKey(q.Keyword)
		if utf8.RuneCountInString(fuzzy) < MinKeywordLen {
			return Match{}, ErrKeywordTooShort
		}
		if genericWords[fuzzy] {
			return Match{}, ErrKeywordGeneric
		}
		if q.Exact {
			m.Kind, m.Key = MatchName, kw.Value
		} else {
			m.Kind, m.Key = MatchFuzzy, fuzzy
		}
	}
	return m, nil
}

// Search returns one page of certificates matching q.
func (s *Service) Search(ctx context.Context, q Query) (Page, error) {
	m, err := Resolve(q)
	if err != nil {
		return Page{}, err
	}
	return s.store.Find(ctx, m)
}

// Get returns one certificate by id.
func (s *Service) Get(ctx context.Context, id string) (Record, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return Record{}, &ParamError{Param: "ID", Reason: "required"}
	}
	if len(id) > 64 {
		return Record{}, fmt.Errorf("id %.16q…: %w", id, ErrNotFound)
	}
	return s.store.Get(ctx, id)
}
