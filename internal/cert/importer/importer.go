// Package importer loads certificate files into a cert.Store: JSONL (the
// canonical shape, or either vendor's detail shape), CSV with a header row
// and XLSX. Records are upserted by id in transactional batches, so
// importing a file twice changes nothing and rerunning an interrupted
// import completes it. A bad line is reported with its number and reason
// and the others continue, unless Options.Strict.
package importer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/zhengapi/zheng/internal/cert"
)

// Options configure an import. The zero value imports by file extension
// in batches of DefaultBatch.
type Options struct {
	// Format is "jsonl", "csv" or "xlsx"; empty picks it from the file
	// name (.jsonl/.json/.ndjson, .csv, .xlsx).
	Format string
	// Columns maps extra CSV/XLSX headers to fields (see Fields); it
	// overrides the built-in header names.
	Columns map[string]string
	// Strict stops at the first rejected line; the batches before it are
	// kept.
	Strict bool
	// BatchSize is the number of records per transaction. Records are
	// read, parsed and written in chunks of at most ChunkSize; a store
	// that is a cert.Batcher keeps one transaction open across the chunks
	// of a batch, any other commits each chunk.
	BatchSize int
	// ChunkSize, if set, replaces the package's ChunkSize.
	ChunkSize int
	// Now decides the status of rows that carry none (expired when the end
	// date has passed); nil means time.Now.
	Now func() time.Time
	// OnReject is called for each rejected line, in file order.
	OnReject func(Reject)
	// OnProgress is called after each batch with the bytes (or, for XLSX,
	// rows) consumed so far.
	OnProgress func(done int64)
}

// DefaultBatch is the batch size when Options.BatchSize is zero. Large
// batches commit less often, and on SQLite every commit rewrites each
// page of the id index that the batch touched; an interrupted import
// redoes at most one batch.
const DefaultBatch = 100000

// ChunkSize is the most records read and parsed ahead of the store.
const ChunkSize = 10000

// Reject is a line the import skipped.
type Reject struct {
	Line   int // 1-based line (JSONL, CSV) or row (XLSX) number
	Reason string
}

func (r Reject) Error() string { return fmt.Sprintf("line %d: %s", r.Line, r.Reason) }

// Summary counts what an import did.
type Summary struct {
	Read      int // records read (lines or rows with data)
	Inserted  int
	Updated   int
	Unchanged int
	Rejected  int
	// IgnoredColumns lists CSV/XLSX headers no field claims.
	IgnoredColumns []string
}

// ErrStrict is returned (wrapping the Reject) when Options.Strict stops an
// import.
var ErrStrict = errors.New("import stopped at a rejected line")

// FormatOf returns the format a file name implies, or "".
func FormatOf(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jsonl", ".ndjson", ".json":
		return "jsonl"
	case ".csv":
		return "csv"
	case ".xlsx":
		return "xlsx"
	}
	return ""
}

// unit is one line or row before parsing.
type unit struct {
	line  int
	raw   []byte   // JSONL
	cells []string // CSV, XLSX
	err   error    // the row could not even be split into cells
}

type result struct {
	line int
	rec  cert.Record
	err  error
}

type chunk struct {
	results []result
	offset  int64
}

// Import reads r (named name, for the format) into store.
func Import(ctx context.Context, store cert.Store, name string, r io.Reader, opt Options) (Summary, error) {
	format := opt.Format
	if format == "" {
		format = FormatOf(name)
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultBatch
	}
	if opt.ChunkSize <= 0 {
		opt.ChunkSize = ChunkSize
	}
	chunkSize := min(opt.BatchSize, opt.ChunkSize)
	if opt.Now == nil {
		opt.Now = time.Now
	}
	var (
		src     func(yield func(unit) bool) error
		parse   func(unit) (cert.Record, error)
		pos     func() int64
		ignored []string
	)
	switch format {
	case "jsonl":
		cr := &countingReader{r: r}
		pos = cr.n
		src = jsonlSource(cr)
		parse = func(u unit) (cert.Record, error) { return ParseJSONLine(u.raw) }
	case "csv":
		cr := &countingReader{r: r}
		pos = cr.n
		rd, err := decodeText(cr)
		if err != nil {
			return Summary{}, err
		}
		m, s, err := csvSource(rd, opt.Columns)
		if err != nil {
			return Summary{}, err
		}
		src, parse = s, func(u unit) (cert.Record, error) { return m.record(u.cells, opt.Now()) }
		ignored = m.ignored
	case "xlsx":
		var rows int64
		pos = func() int64 { return rows }
		m, s, err := xlsxSource(r, opt.Columns, &rows)
		if err != nil {
			return Summary{}, err
		}
		src, parse = s, func(u unit) (cert.Record, error) { return m.record(u.cells, opt.Now()) }
		ignored = m.ignored
	default:
		return Summary{}, fmt.Errorf("unknown format of %s: want .jsonl, .csv or .xlsx (or set the format)", name)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan chunk, 1)
	var readErr error
	go func() {
		defer close(chunks)
		batch := make([]unit, 0, chunkSize)
		send := func() bool {
			c := chunk{results: parseAll(batch, parse), offset: pos()}
			batch = make([]unit, 0, chunkSize)
			select {
			case chunks <- c:
				return true
			case <-ctx.Done():
				return false
			}
		}
		readErr = src(func(u unit) bool {
			batch = append(batch, u)
			return len(batch) < chunkSize || send()
		})
		if readErr == nil && len(batch) > 0 {
			send()
		}
	}()

	sum := Summary{IgnoredColumns: ignored}
	w := &batchWriter{store: store, size: opt.BatchSize, sum: &sum}
	defer w.rollback()
	var stop error
	for c := range chunks {
		if stop != nil {
			continue // drain so the reader can exit
		}
		recs := make([]cert.Record, 0, len(c.results))
		for _, res := range c.results {
			sum.Read++
			if res.err != nil {
				sum.Rejected++
				rej := Reject{Line: res.line, Reason: res.err.Error()}
				if opt.OnReject != nil {
					opt.OnReject(rej)
				}
				if opt.Strict {
					stop = fmt.Errorf("%w: %w", ErrStrict, rej)
					break
				}
				continue
			}
			recs = append(recs, res.rec)
		}
		if err := w.write(ctx, recs, stop != nil); err != nil {
			stop = fmt.Errorf("write batch ending at line %d: %w", lastLine(c), err)
			cancel()
			continue
		}
		if opt.OnProgress != nil {
			opt.OnProgress(c.offset)
		}
		if stop != nil {
			cancel()
		}
	}
	if stop != nil {
		return sum, stop
	}
	if readErr != nil {
		return sum, fmt.Errorf("read %s: %w", name, readErr)
	}
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	if err := w.commit(); err != nil {
		return sum, fmt.Errorf("write last batch: %w", err)
	}
	return sum, nil
}

// batchWriter groups chunks into transactions of size records on a
// cert.Batcher (one per chunk on other stores) and adds a transaction's
// counts to the summary once it commits.
type batchWriter struct {
	store   cert.Store
	size    int
	sum     *Summary
	tx      cert.Tx
	n       int
	pending cert.UpsertStats
}

// write stores recs; last commits even a short batch (the import stops
// after it).
func (w *batchWriter) write(ctx context.Context, recs []cert.Record, last bool) error {
	b, ok := w.store.(cert.Batcher)
	if !ok {
		st, err := w.store.Upsert(ctx, recs)
		if err == nil {
			w.add(st)
		}
		return err
	}
	if w.tx == nil {
		tx, err := b.Begin(ctx)
		if err != nil {
			return err
		}
		w.tx = tx
	}
	st, err := w.tx.Upsert(ctx, recs)
	if err != nil {
		w.rollback()
		return err
	}
	w.pending.Add(st)
	w.n += len(recs)
	if w.n >= w.size || last {
		return w.commit()
	}
	return nil
}

func (w *batchWriter) commit() error {
	if w.tx == nil {
		return nil
	}
	err := w.tx.Commit()
	w.tx, w.n = nil, 0
	if err == nil {
		w.add(w.pending)
	}
	w.pending = cert.UpsertStats{}
	return err
}

func (w *batchWriter) rollback() {
	if w.tx != nil {
		w.tx.Rollback()
		w.tx, w.n, w.pending = nil, 0, cert.UpsertStats{}
	}
}

func (w *batchWriter) add(st cert.UpsertStats) {
	w.sum.Inserted += st.Inserted
	w.sum.Updated += st.Updated
	w.sum.Unchanged += st.Unchanged
}

func lastLine(c chunk) int {
	if len(c.results) == 0 {
		return 0
	}
	return c.results[len(c.results)-1].line
}

// parseAll parses a batch on every core, keeping file order.
func parseAll(units []unit, parse func(unit) (cert.Record, error)) []result {
	out := make([]result, len(units))
	workers := min(runtime.GOMAXPROCS(0), 1+len(units)/64)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(units); i += workers {
				r, err := cert.Record{}, units[i].err
				if err == nil {
					r, err = parse(units[i])
				}
				if err == nil {
					err = cert.Prepare(&r)
				}
				out[i] = result{line: units[i].line, rec: r, err: err}
			}
		})
	}
	wg.Wait()
	return out
}

// MaxLine is the longest JSONL line accepted.
const MaxLine = 16 << 20

func jsonlSource(r io.Reader) func(func(unit) bool) error {
	return func(yield func(unit) bool) error {
		br := bufio.NewReaderSize(r, 1<<20)
		for line := 1; ; line++ {
			b, err := readLine(br)
			if len(bytes.TrimSpace(b)) > 0 {
				if line == 1 {
					b = bytes.TrimPrefix(b, []byte("\ufeff"))
				}
				if !yield(unit{line: line, raw: b}) {
					return nil
				}
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
}

// readLine returns the next line without its newline, copied.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > MaxLine {
			// Skip the rest so one runaway line cannot exhaust memory.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			return []byte("\x00overlong"), err
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimRight(line, "\r\n"), err
	}
}

// ParseJSONLine reads one JSONL line in any of the three accepted shapes:
// the canonical record, a 聚美 detail (the data object or a whole
// response), or a 企查查 detail (the Result object, a whole response, or a
// bare Data object).
func ParseJSONLine(b []byte) (cert.Record, error) {
	if bytes.Equal(b, []byte("\x00overlong")) {
		return cert.Record{}, fmt.Errorf("line longer than %d bytes", MaxLine)
	}
	// cert.ParseJSONLine checks UTF-8 as it reads, so a valid line is
	// scanned once; only a line it refuses is checked again whole.
	r, err := cert.ParseJSONLine(b)
	if err == nil {
		return r, nil
	}
	if errors.Is(err, cert.ErrInvalidUTF8) {
		return cert.Record{}, err
	}
	switch shapeOf(b) {
	case "qcc":
		r, qerr := cert.FromQCCDetail(b)
		if qerr != nil {
			return cert.Record{}, fmt.Errorf("企查查 detail: %w", qerr)
		}
		return r, nil
	case "jumei":
		r, jerr := cert.FromJumeiDetail(b)
		if jerr != nil {
			return cert.Record{}, fmt.Errorf("聚美 detail: %w", jerr)
		}
		return r, nil
	}
	return cert.Record{}, fmt.Errorf("canonical record: %w", err)
}

// shapeOf guesses which vendor shape a JSON object is by its keys.
func shapeOf(b []byte) string {
	switch {
	case bytes.Contains(b, []byte(`"Data"`)), bytes.Contains(b, []byte(`"Result"`)), bytes.Contains(b, []byte(`"TypeDesc"`)):
		return "qcc"
	case bytes.Contains(b, []byte(`"type"`)), bytes.Contains(b, []byte(`"data"`)):
		return "jumei"
	case bytes.Contains(b, []byte(`"证书编号"`)):
		return "qcc" // a bare Data object
	}
	return ""
}

// countingReader counts bytes read, for progress.
type countingReader struct {
	r  io.Reader
	mu sync.Mutex
	c  int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.mu.Lock()
	c.c += int64(n)
	c.mu.Unlock()
	return n, err
}

func (c *countingReader) n() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.c
}

// decodeText strips a UTF-8 byte-order mark and decodes GB18030 (GBK),
// which spreadsheet programs in China write by default, when the start of
// the file is not UTF-8.
func decodeText(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(64 << 10)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	if bytes.HasPrefix(head, []byte("\ufeff")) {
		br.Discard(3)
		return br, nil
	}
	// A multi-byte character may be cut at the end of the peek.
	if len(head) == 64<<10 {
		for i := 0; i < 3 && len(head) > 0 && !utf8.Valid(head); i++ {
			head = head[:len(head)-1]
		}
	}
	if utf8.Valid(head) {
		return br, nil
	}
	return simplifiedchinese.GB18030.NewDecoder().Reader(br), nil
}
