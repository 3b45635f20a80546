package cert_test

import (
	"testing"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/certtest"
)

// loop runs op(0), op(1), … as benchmark b's loop and reports, besides
// the wall-clock time, the process's CPU time per operation (garbage
// collection on other threads included), which a loaded machine skews less.
func loop(b *testing.B, op func(i int)) {
	b.Helper()
	b.ReportAllocs()
	start, n := cpuTime(), 0
	for ; b.Loop(); n++ {
		op(n)
	}
	if cpu := cpuTime() - start; cpu > 0 && n > 0 {
		b.ReportMetric(float64(cpu)/float64(n), "cpu-ns/op")
	}
}

// benchRecords returns n prepared synthetic records, as an import hands
// them to a store.
func benchRecords(b *testing.B, n int) []cert.Record {
	b.Helper()
	return certtest.Prepared(b, 42, n)
}

// benchNames returns the company names of the records, holders and other
// parties alike.
func benchNames(recs []cert.Record) []string {
	var names []string
	for _, r := range recs {
		names = append(names, r.EnterpriseName)
		for _, p := range r.Parties {
			if p.Name != r.EnterpriseName {
				names = append(names, p.Name)
			}
		}
	}
	return names
}

func BenchmarkNameKey(b *testing.B) {
	names := benchNames(benchRecords(b, 1000))
	b.Run("NameKey", func(b *testing.B) {
		loop(b, func(i int) {
			cert.NameKey(names[i%len(names)])
		})
	})
	b.Run("FuzzyKey", func(b *testing.B) {
		loop(b, func(i int) {
			cert.FuzzyKey(names[i%len(names)])
		})
	})
}

// BenchmarkParseRecord reads canonical lines as the importer does: decode,
// then Prepare.
func BenchmarkParseRecord(b *testing.B) {
	recs := benchRecords(b, 1000)
	lines := make([][]byte, len(recs))
	size := 0
	for i := range recs {
		lines[i] = recs[i].AppendJSON(nil)
		size += len(lines[i])
	}
	b.SetBytes(int64(size / len(lines)))
	b.Run("Unmarshal", func(b *testing.B) {
		loop(b, func(i int) {
			var r cert.Record
			if err := r.UnmarshalJSON(lines[i%len(lines)]); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("Prepare", func(b *testing.B) {
		loop(b, func(i int) {
			var r cert.Record
			if err := r.UnmarshalJSON(lines[i%len(lines)]); err != nil {
				b.Fatal(err)
			}
			if err := cert.Prepare(&r); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkAppendJSON encodes a record's body and its head (the record
// without detail), as a store does once per record.
func BenchmarkAppendJSON(b *testing.B) {
	recs := benchRecords(b, 1000)
	b.Run("Body", func(b *testing.B) {
		loop(b, func(i int) {
			recs[i%len(recs)].AppendJSON(make([]byte, 0, 2048))
		})
	})
	b.Run("Head", func(b *testing.B) {
		loop(b, func(i int) {
			h := recs[i%len(recs)]
			h.Detail = nil
			h.AppendJSON(make([]byte, 0, 512))
		})
	})
}

// BenchmarkIndexKeys computes what a store indexes for a record: the name
// and code keys, and the bigrams of each fuzzy key.
func BenchmarkIndexKeys(b *testing.B) {
	recs := benchRecords(b, 1000)
	b.Run("Keys", func(b *testing.B) {
		loop(b, func(i int) {
			cert.IndexKeys(recs[i%len(recs)])
		})
	})
	b.Run("Bigrams", func(b *testing.B) {
		loop(b, func(i int) {
			names, _ := cert.IndexKeys(recs[i%len(recs)])
			for _, n := range names {
				cert.Bigrams(n.Fuzzy)
			}
		})
	})
}
