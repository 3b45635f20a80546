package imageio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
)

// KBRange bounds an encoded file's size in KiB (1 KB = 1024 bytes, as the
// upload forms of exam sites count). Zero means unbounded on that side.
type KBRange struct{ Min, Max int }

func (r KBRange) String() string { return fmt.Sprintf("%d,%d", r.Min, r.Max) }

// Attempt is one encoding tried while searching for a size.
type Attempt struct {
	Quality int    `json:"quality"`
	Chroma  string `json:"chroma"`
	Bytes   int    `json:"bytes"`
}

// RangeError reports a KB range no JPEG quality could meet.
type RangeError struct {
	Range KBRange
	Tried []Attempt
}

func (e *RangeError) Error() string {
	var b strings.Builder
	for i, a := range e.Tried {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "q%d/%s=%.1fKB", a.Quality, a.Chroma, float64(a.Bytes)/1024)
	}
	return fmt.Sprintf("imageio: no JPEG within %d–%d KB (tried %s)", e.Range.Min, e.Range.Max, b.String())
}

// Encoded is a finished file.
type Encoded struct {
	Data    []byte
	Quality int       // JPEG quality used (0 for PNG)
	Chroma  Chroma    // JPEG chroma subsampling used
	Padding int       // bytes of metadata added to reach the minimum size
	Tried   []Attempt // the search, in order
}

// KB returns the file size in KiB.
func (e *Encoded) KB() float64 { return float64(len(e.Data)) / 1024 }

// DefaultQuality is the JPEG quality when no size range asks otherwise.
const DefaultQuality = 92

// EncodeJPEG encodes img as a baseline JFIF JPEG whose density says dpi,
// meeting kb when set. With a maximum it looks for the best file under it:
// full-resolution chroma (4:4:4) at quality 85 or more when that fits,
// otherwise the highest quality with 4:2:0 chroma. Under a minimum it
// moves up to 4:4:4 at quality 100, and if even that is too small adds a
// comment segment (metadata, not trailing garbage). An unreachable range
// is a *RangeError listing what was tried.
func EncodeJPEG(img image.Image, dpi int, kb KBRange) (*Encoded, error) {
	e := &searcher{img: img, dpi: dpi}
	maxB, minB := kb.Max*1024, kb.Min*1024
	if kb.Max > 0 && kb.Min > kb.Max {
		return nil, &RangeError{Range: kb}
	}
	var best *Encoded
	if maxB == 0 {
		best = e.enc(DefaultQuality, Chroma420)
	} else {
		if d := e.enc(85, Chroma444); d != nil && len(d.Data) <= maxB {
			best = e.highest(86, 100, Chroma444, maxB, d)
		} else {
			best = e.highest(1, 100, Chroma420, maxB, nil)
		}
	}
	if e.err != nil {
		return nil, e.err
	}
	if best == nil {
		return nil, &RangeError{Range: kb, Tried: e.tried}
	}
	if minB > 0 && len(best.Data) < minB && (best.Quality < 100 || best.Chroma != Chroma444) {
		// More detail beats padding.
		if d := e.enc(100, Chroma444); d != nil && (maxB == 0 || len(d.Data) <= maxB) && len(d.Data) > len(best.Data) {
			best = d
		}
	}
	if e.err != nil {
		return nil, e.err
	}
	best.Tried = e.tried
	if minB > 0 && len(best.Data) < minB {
		// Aim a little above the minimum so rounding by the receiver
		// (KB vs kB) cannot push the file under it.
		target := minB + 256
		if maxB > 0 && target > maxB {
			target = minB
		}
		best.Data, best.Padding = padJPEG(best.Data, target)
	}
	if (maxB > 0 && len(best.Data) > maxB) || (minB > 0 && len(best.Data) < minB) {
		return nil, &RangeError{Range: kb, Tried: e.tried}
	}
	return best, nil
}

// searcher encodes one image at several settings, keeping the first error
// (later calls are no-ops) and the list of attempts.
type searcher struct {
	img   image.Image
	dpi   int
	dct   [2]*dctImage // per Chroma: the transform is done once
	tried []Attempt
	err   error
}

func (s *searcher) enc(q int, ch Chroma) *Encoded {
	if s.err != nil {
		return nil
	}
	if s.dct[ch] == nil {
		if s.dct[ch], s.err = transform(s.img, ch); s.err != nil {
			return nil
		}
	}
	data := withJFIF(s.dct[ch].encode(q), s.dpi)
	s.tried = append(s.tried, Attempt{Quality: q, Chroma: ch.String(), Bytes: len(data)})
	return &Encoded{Data: data, Quality: q, Chroma: ch}
}

// highest binary-searches the highest quality in [lo, hi] whose file fits
// in maxB; fallback is returned when none does.
func (s *searcher) highest(lo, hi int, ch Chroma, maxB int, fallback *Encoded) *Encoded {
	best := fallback
	for lo <= hi && s.err == nil {
		mid := (lo + hi) / 2
		d := s.enc(mid, ch)
		if d == nil {
			break
		}
		if len(d.Data) <= maxB {
			best, lo = d, mid+1
		} else {
			hi = mid - 1
		}
	}
	return best
}

// withJFIF inserts a JFIF APP0 segment carrying dpi right after SOI.
func withJFIF(raw []byte, dpi int) []byte {
	if dpi <= 0 || dpi > 65535 {
		dpi = 72
	}
	app0 := []byte{0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 1, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(app0[12:], uint16(dpi))
	binary.BigEndian.PutUint16(app0[14:], uint16(dpi))
	out := make([]byte, 0, len(raw)+len(app0))
	out = append(out, raw[:2]...)
	out = append(out, app0...)
	return append(out, raw[2:]...)
}

// padJPEG grows a JFIF file to at least target bytes with COM segments
// placed after APP0, and returns it with the number of bytes added.
func padJPEG(data []byte, target int) ([]byte, int) {
	need := target - len(data)
	if need <= 0 {
		return data, 0
	}
	const at = 2 + 18 // after SOI and our APP0
	var segs []byte
	for need > 0 {
		n := need
		if n < 4 {
			n = 4 // the smallest segment: marker, length, no payload
		}
		if n > 65535+2 {
			n = 65535 + 2
		}
		seg := make([]byte, n)
		seg[0], seg[1] = 0xFF, 0xFE
		binary.BigEndian.PutUint16(seg[2:], uint16(n-2))
		// Readable filler, so a person looking at the file sees why.
		for i := 4; i < n; i++ {
			seg[i] = " zheng size padding"[(i-4)%19]
		}
		segs = append(segs, seg...)
		need -= n
	}
	out := make([]byte, 0, len(data)+len(segs))
	out = append(out, data[:at]...)
	out = append(out, segs...)
	out = append(out, data[at:]...)
	return out, len(segs)
}

// JPEGDensity reads the JFIF density of a JPEG: (dpi, true) when the units
// are dots per inch.
func JPEGDensity(data []byte) (int, bool) {
	if len(data) < 20 || data[2] != 0xFF || data[3] != 0xE0 || string(data[6:11]) != "JFIF\x00" {
		return 0, false
	}
	if data[13] != 1 {
		return 0, false
	}
	return int(binary.BigEndian.Uint16(data[14:])), true
}

// EncodePNG encodes img as PNG with a pHYs chunk saying dpi.
func EncodePNG(w io.Writer, img image.Image, dpi int) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("imageio: png: %w", err)
	}
	raw := buf.Bytes()
	// Signature (8) + IHDR chunk (4 len + 4 type + 13 data + 4 crc).
	const at = 8 + 25
	if len(raw) < at {
		return errors.New("imageio: png: short output")
	}
	e := &stickyWriter{w: bufio.NewWriter(w)}
	e.write(raw[:at])
	e.write(physChunk(dpi))
	e.write(raw[at:])
	return e.flush()
}

func physChunk(dpi int) []byte {
	ppm := uint32(float64(dpi)/0.0254 + 0.5)
	c := make([]byte, 4+4+9+4)
	binary.BigEndian.PutUint32(c[0:], 9)
	copy(c[4:], "pHYs")
	binary.BigEndian.PutUint32(c[8:], ppm)
	binary.BigEndian.PutUint32(c[12:], ppm)
	c[16] = 1 // unit: metre
	binary.BigEndian.PutUint32(c[17:], crc32.ChecksumIEEE(c[4:17]))
	return c
}

// PNGDensity reads a PNG's pHYs chunk as dpi.
func PNGDensity(data []byte) (int, bool) {
	i := 8
	for i+12 <= len(data) {
		n := int(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		if typ == "pHYs" && n == 9 && i+8+9 <= len(data) && data[i+16] == 1 {
			ppm := binary.BigEndian.Uint32(data[i+8:])
			return int(float64(ppm)*0.0254 + 0.5), true
		}
		if typ == "IDAT" || n < 0 {
			return 0, false
		}
		i += 12 + n
	}
	return 0, false
}

// stickyWriter keeps the first write error; later writes are no-ops.
type stickyWriter struct {
	w   *bufio.Writer
	err error
}

func (s *stickyWriter) write(p []byte) {
	if s.err == nil {
		_, s.err = s.w.Write(p)
	}
}

func (s *stickyWriter) flush() error {
	if s.err == nil {
		s.err = s.w.Flush()
	}
	return s.err
}

// EncodeJPEGStd encodes a large image (a print sheet) with the standard
// library's faster encoder (4:2:0, its own tables) and the JFIF density.
func EncodeJPEGStd(img image.Image, q, dpi int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		return nil, fmt.Errorf("imageio: jpeg: %w", err)
	}
	raw := buf.Bytes()
	if len(raw) < 2 || raw[0] != 0xFF || raw[1] != 0xD8 {
		return nil, errors.New("imageio: jpeg: encoder wrote no SOI")
	}
	return withJFIF(raw, dpi), nil
}
