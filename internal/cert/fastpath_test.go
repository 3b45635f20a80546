package cert_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/certgen"
)

// oddStrings are values that leave the fast paths: escapes, invalid
// UTF-8, line separators, two- and four-byte runes, lead bytes 0xe0,
// 0xe2 and 0xed, compatibility and full-width characters.
var oddStrings = []string{
	"", " ", `q"uote`, `back\slash`, "tab\tnl\ncr\r", "\x00\x01\x1f\x7f", "<a&b>", "\u2028\u2029",
	"bad\xffutf8", "\xe4\xb8", "é ß Ω", "𠀀𠀁", "\u0800\u0fff", "\ud7ff\ue000\uffff\ufffd", "•—“”",
	"ＡＢＣ（北京）有限公司", "華為技術", "abb (中国) 有限公司", " 北京\u3000百度 ", "911101-08717743469k",
	"株式会社㈱", "e\u0301", "[1]", "{2}", "null", "2021-01-12",
}

// mutate changes a generated record the way real data differs from the
// generator's: other spellings of the holder, codes as typed, odd values,
// missing or unusual dates, null and empty detail.
func mutate(rng *rand.Rand, r cert.Record) cert.Record {
	odd := func() string { return oddStrings[rng.IntN(len(oddStrings))] }
	r.Parties = append([]cert.Party(nil), r.Parties...)
	r.Detail = append([]cert.Section(nil), r.Detail...)
	for range rng.IntN(6) {
		switch rng.IntN(16) {
		case 0:
			r.EnterpriseName = odd()
		case 1: // the holder under another spelling
			r.Parties = append(r.Parties, cert.Party{Role: "生产企业", Name: " " + strings.ReplaceAll(r.EnterpriseName, "有限", "有　限") + " "})
		case 2:
			r.Parties = append(r.Parties, cert.Party{Role: odd(), Name: odd(), Code: odd()})
		case 3:
			r.Parties = nil
		case 4:
			r.CreditCode = strings.ToLower(r.CreditCode)
		case 5:
			r.RegNo, r.CreditCode = r.CreditCode, odd()
		case 6:
			r.StartDate = time.Time{}
		case 7:
			r.EndDate = r.EndDate.Add(time.Duration(rng.IntN(86400)) * time.Second)
		case 8:
			r.EndDate = time.Date(rng.IntN(12000)-1000, 3, 1, 0, 0, 0, 0, time.UTC)
		case 9:
			r.StartDate = r.StartDate.In(time.FixedZone("", 8*3600))
		case 10:
			r.Detail = nil
		case 11:
			r.Detail = append(r.Detail, cert.Section{Name: odd()})
		case 12, 13, 14:
			if len(r.Detail) > 0 {
				i := rng.IntN(len(r.Detail))
				fs := append([]cert.Field(nil), r.Detail[i].Fields...)
				if len(fs) > 0 {
					v := odd()
					f := &fs[rng.IntN(len(fs))]
					if rng.IntN(3) == 0 {
						f.Value = nil
					} else {
						f.Value = &v
					}
					f.Name = odd()
				}
				r.Detail[i].Fields = fs
			}
		case 15:
			r.ID, r.Name, r.TypeCode = odd(), odd(), ""
		}
	}
	return r
}

// testRecords returns generated records, as generated and mutated.
func testRecords(n int) []cert.Record {
	g := certgen.New(7)
	rng := rand.New(rand.NewPCG(7, 8))
	recs := make([]cert.Record, 0, 2*n)
	for range n {
		r := g.Next()
		recs = append(recs, r, mutate(rng, r))
	}
	return recs
}

func TestAppendJSONMatchesReference(t *testing.T) {
	for _, r := range testRecords(1000) {
		h := r
		h.Detail = nil
		for _, r := range []cert.Record{r, h} {
			want := cert.AppendJSONRef(&r, []byte("x"))
			got := r.AppendJSON([]byte("x"))
			if !bytes.Equal(got, want) {
				t.Fatalf("AppendJSON =\n%s\nreference\n%s", got, want)
			}
			// Exact for four-digit years and strings without escapes.
			plain := utf8.Valid(got) && !bytes.ContainsAny(got[1:], "\\\u2028\u2029") &&
				fourDigitYear(r.StartDate) && fourDigitYear(r.EndDate)
			if n := cert.JSONSize(&r); plain && n != len(got)-1 {
				t.Fatalf("jsonSize = %d, AppendJSON wrote %d bytes: %s", n, len(got)-1, got[1:])
			}
		}
	}
}

func fourDigitYear(t time.Time) bool { return t.IsZero() || t.Year() >= 0 && t.Year() <= 9999 }

func TestIndexKeysAndPrepareMatchReference(t *testing.T) {
	for _, r := range testRecords(1000) {
		names, codes := cert.IndexKeys(r)
		wantNames, wantCodes := cert.IndexKeysRef(r)
		if !reflect.DeepEqual(names, wantNames) || !reflect.DeepEqual(codes, wantCodes) {
			t.Fatalf("IndexKeys(%+v) =\n%q %q\nreference\n%q %q", r, names, codes, wantNames, wantCodes)
		}
		got, want := r, r
		gotErr, wantErr := cert.Prepare(&got), cert.PrepareRef(&want)
		if !reflect.DeepEqual(got, want) || (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("Prepare(%+v) =\n%+v, %v\nreference\n%+v, %v", r, got, gotErr, want, wantErr)
		}
	}
}

// TestUnmarshalMatchesReference reads canonical lines, and lines with a
// byte changed, with the fast decoder and with encoding/json alone.
func TestUnmarshalMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for i, r := range testRecords(1000) {
		line := r.AppendJSON(nil)
		if i%4 == 3 {
			const subst = "\"\\{}[],: \xff\xe4n0"
			line[rng.IntN(len(line))] = subst[rng.IntN(len(subst))]
		}
		checkUnmarshal(t, line)
	}
}

// TestUnmarshalLargeRecord reads records with more fields and sections
// than the decoder sizes its slices for, and strings full of brackets.
func TestUnmarshalLargeRecord(t *testing.T) {
	r := certgen.New(3).Next()
	brackets := strings.Repeat("[{", 3000)
	r.Name = brackets
	for i := range 300 {
		sec := cert.Section{Name: brackets[:2*i]}
		for j := range 10 + i%7 {
			v := strings.Repeat("值", j)
			f := cert.Field{Name: brackets[:j]}
			if j%3 != 0 {
				f.Value = &v
			}
			sec.Fields = append(sec.Fields, f)
		}
		r.Detail = append(r.Detail, sec)
	}
	line := r.AppendJSON(nil)
	checkUnmarshal(t, line)
	var back cert.Record
	if err := back.UnmarshalJSON(line); err != nil || !bytes.Equal(back.AppendJSON(nil), line) {
		t.Fatalf("round trip of a large record: %v", err)
	}
}

// TestParseJSONLineInvalidUTF8: the importer reports such a line by this
// error's text, whatever shape the line has.
func TestParseJSONLineInvalidUTF8(t *testing.T) {
	for _, line := range []string{
		"{\"certNo\":\"a\xffb\",\"typeName\":\"t\",\"status\":\"有效\",\"enterpriseName\":\"x\"}",
		"{\"certNo\":\"a\\n\xe4\xb8\",\"typeName\":\"t\"}",
		"{\"Result\":{\"Id\":\"\xff\"}}",
		"\xff",
	} {
		_, err := cert.ParseJSONLine([]byte(line))
		if !errors.Is(err, cert.ErrInvalidUTF8) || err.Error() != "not valid UTF-8" {
			t.Errorf("ParseJSONLine(%q) error = %v, want %q", line, err, "not valid UTF-8")
		}
	}
}

func FuzzUnmarshalRecord(f *testing.F) {
	for _, r := range testRecords(5) {
		f.Add(r.AppendJSON(nil))
	}
	f.Fuzz(checkUnmarshal)
}

func checkUnmarshal(t *testing.T, line []byte) {
	var got cert.Record
	err := got.UnmarshalJSON(line)
	want, wantErr := cert.UnmarshalRef(line)
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("%s:\nerror %v, reference %v", line, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n%+v\nreference\n%+v", line, got, want)
	}
	strict, strictErr := cert.ParseJSONLine(line)
	switch {
	case !utf8.Valid(line):
		if !errors.Is(strictErr, cert.ErrInvalidUTF8) {
			t.Fatalf("%q: ParseJSONLine error %v, want %v", line, strictErr, cert.ErrInvalidUTF8)
		}
	case (strictErr == nil) != (err == nil) || err == nil && !reflect.DeepEqual(strict, got):
		t.Fatalf("%s: ParseJSONLine differs from UnmarshalJSON: %v, %v", line, strictErr, err)
	}
}
