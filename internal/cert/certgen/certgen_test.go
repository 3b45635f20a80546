package certgen

import (
	"encoding/json"
	"reflect"
	"regexp"
	"testing"

	"github.com/zhengapi/zheng/internal/cert"
)

func TestDeterministic(t *testing.T) {
	a, b := New(42), New(42)
	for i := range 500 {
		ra, rb := a.Next(), b.Next()
		if !reflect.DeepEqual(ra, rb) {
			t.Fatalf("record %d differs between two generators with seed 42", i)
		}
	}
	if reflect.DeepEqual(New(1).Next(), New(2).Next()) {
		t.Errorf("seeds 1 and 2 produced the same first record")
	}
}

var numberFormats = map[string]*regexp.Regexp{
	"cnca001": regexp.MustCompile(`^20[0-9]{2}01[0-9]{4}[0-9]{6}$`),
	"cnca060": regexp.MustCompile(`^[0-9]{3}OP[0-9]{2}[0-9]{5}$`),
	"cnca040": regexp.MustCompile(`^[0-9]{3}FSMS[0-9]{2}[0-9]{5}$`),
	"zh_soft": regexp.MustCompile(`^\p{Han}RC-20[0-9]{2}-[0-9]{4}$`),
	"zh_hnte": regexp.MustCompile(`^GR20[0-9]{2}[0-9]{2}[0-9]{6}$`),
}

// msNumber is the domestic management-system pattern of certificates.md §3.1.
var msNumber = regexp.MustCompile(`^([0-9]{3}|[A-Z]{3})[0-9]{2}[A-Z]{1,4}[0-9]{5}R[0-9]{1,2}[SML](/[0-9]{4})?$`)

func TestRecordsAreValid(t *testing.T) {
	g := New(7)
	seenID := map[string]bool{}
	types := map[string]int{}
	statuses := map[string]int{}
	for i := range 5000 {
		r := g.Next()
		types[r.TypeCode]++
		statuses[r.Status]++
		if seenID[r.ID] {
			t.Fatalf("record %d: duplicate id %s (%s)", i, r.ID, r.CertNo)
		}
		seenID[r.ID] = true
		if err := cert.Prepare(&r); err != nil {
			t.Fatalf("record %d: Prepare: %v", i, err)
		}
		if re, ok := numberFormats[r.TypeCode]; ok {
			if !re.MatchString(r.CertNo) {
				t.Errorf("record %d: %s number %q does not match %s", i, r.TypeCode, r.CertNo, re)
			}
		} else if !msNumber.MatchString(r.CertNo) {
			t.Errorf("record %d: %s number %q is not a management-system number", i, r.TypeCode, r.CertNo)
		}
		for _, p := range r.Parties {
			switch len(p.Code) {
			case 0:
			case 18:
				if !cert.ValidUSCC(p.Code) || !cert.ValidOrgCode(p.Code[8:17]) {
					t.Errorf("record %d: party code %s fails its check", i, p.Code)
				}
			case 9:
				if !cert.ValidOrgCode(p.Code) {
					t.Errorf("record %d: org code %s fails its check", i, p.Code)
				}
			default:
				t.Errorf("record %d: party code %q has length %d", i, p.Code, len(p.Code))
			}
		}
		if r.RegNo != "" && !cert.ValidRegNo(r.RegNo) {
			t.Errorf("record %d: registration number %s fails its check", i, r.RegNo)
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back cert.Record
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, r) {
			t.Fatalf("record %d does not survive JSON: %v", i, err)
		}
	}
	if len(types) < len(certTypes) {
		t.Errorf("5000 records cover %d types, want all %d: %v", len(types), len(certTypes), types)
	}
	if statuses[cert.StatusValid] == 0 || statuses[cert.StatusExpired] == 0 {
		t.Errorf("statuses %v lack valid or expired certificates", statuses)
	}
}
