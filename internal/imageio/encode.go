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
	Quality int `json:"quality"`
	Bytes   int `json:"bytes"`
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
		fmt.Fprintf(&b, "q%d=%.1fKB", a.Quality, float64(a.Bytes)/1024)
	}
	return fmt.Sprintf("imageio: no JPEG within %d–%d KB (tried %s)", e.Range.Min, e.Range.Max, b.String())
}

// Encoded is a finished file.
type Encoded struct {
	Data    []byte
	Quality int       // JPEG quality used (0 for PNG)
	Padding int       // bytes of metadata added to reach the minimum size
	Tried   []Attempt // the search, in order
}

// KB returns the file size in KiB.
func (e *Encoded) KB() float64 { return float64(len(e.Data)) / 1024 }

// DefaultQuality is the JPEG quality when no size range asks otherwise.
const DefaultQuality = 92

// EncodeJPEG encodes img as a baseline JFIF JPEG whose density says dpi,
// meeting kb when set: it searches the highest quality under the maximum;
// if even quality 100 is under the minimum it adds a comment segment
// (metadata, not trailing garbage) to reach it. An unreachable range is a
// *RangeError listing what was tried.
func EncodeJPEG(img image.Image, dpi int, kb KBRange) (*Encoded, error) {
	var tried []Attempt
	enc := func(q int) ([]byte, error) {
		data, err := jpegWithDensity(img, q, dpi)
		if err != nil {
			return nil, err
		}
		tried = append(tried, Attempt{Quality: q, Bytes: len(data)})
		return data, nil
	}
	maxB, minB := kb.Max*1024, kb.Min*1024
	if kb.Max > 0 && kb.Min > kb.Max {
		return nil, &RangeError{Range: kb}
	}
	q := DefaultQuality
	data, err := enc(q)
	if err != nil {
		return nil, err
	}
	switch {
	case maxB > 0 && len(data) > maxB:
		// Highest quality in [1, q) that fits.
		lo, hi, best := 1, q-1, []byte(nil)
		bestQ := 0
		for lo <= hi {
			mid := (lo + hi) / 2
			d, err := enc(mid)
			if err != nil {
				return nil, err
			}
			if len(d) <= maxB {
				best, bestQ, lo = d, mid, mid+1
			} else {
				hi = mid - 1
			}
		}
		if best == nil {
			return nil, &RangeError{Range: kb, Tried: tried}
		}
		data, q = best, bestQ
	case minB > 0 && len(data) < minB:
		// Try higher qualities first: more detail beats padding.
		for _, hq := range []int{96, 100} {
			d, err := enc(hq)
			if err != nil {
				return nil, err
			}
			if maxB > 0 && len(d) > maxB {
				break
			}
			data, q = d, hq
			if len(d) >= minB {
				break
			}
		}
	}
	out := &Encoded{Data: data, Quality: q, Tried: tried}
	if minB > 0 && len(out.Data) < minB {
		// Aim a little above the minimum so rounding by the receiver
		// (KB vs kB) cannot push the file under it.
		target := minB + 256
		if maxB > 0 && target > maxB {
			target = minB
		}
		padded, n := padJPEG(out.Data, target)
		out.Data, out.Padding = padded, n
	}
	if (maxB > 0 && len(out.Data) > maxB) || (minB > 0 && len(out.Data) < minB) {
		return nil, &RangeError{Range: kb, Tried: tried}
	}
	return out, nil
}

// jpegWithDensity encodes img and inserts a JFIF APP0 segment carrying dpi
// right after SOI (the standard library writes none).
func jpegWithDensity(img image.Image, q, dpi int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(64 << 10)
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		return nil, fmt.Errorf("imageio: jpeg: %w", err)
	}
	raw := buf.Bytes()
	if len(raw) < 2 || raw[0] != 0xFF || raw[1] != 0xD8 {
		return nil, errors.New("imageio: jpeg: encoder wrote no SOI")
	}
	if dpi <= 0 || dpi > 65535 {
		dpi = 72
	}
	app0 := []byte{0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 1, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(app0[12:], uint16(dpi))
	binary.BigEndian.PutUint16(app0[14:], uint16(dpi))
	out := make([]byte, 0, len(raw)+len(app0))
	out = append(out, raw[:2]...)
	out = append(out, app0...)
	return append(out, raw[2:]...), nil
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
