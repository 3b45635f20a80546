package imageio

import (
	"bytes"
	"errors"
	"image"
	"math"
	"sort"
)

// Chroma is a JPEG chroma subsampling.
type Chroma int

// The subsamplings the encoder writes.
const (
	Chroma420 Chroma = iota // chroma at half resolution both ways: smallest
	Chroma444               // full-resolution chroma: sharper colour edges
)

func (c Chroma) String() string {
	if c == Chroma444 {
		return "4:4:4"
	}
	return "4:2:0"
}

// The example quantisation tables of the JPEG standard (Annex K), in
// natural (row-major) order, scaled by quality as libjpeg does.
var (
	lumaQuant = [64]int{
		16, 11, 10, 16, 24, 40, 51, 61,
		12, 12, 14, 19, 26, 58, 60, 55,
		14, 13, 16, 24, 40, 57, 69, 56,
		14, 17, 22, 29, 51, 87, 80, 62,
		18, 22, 37, 56, 68, 109, 103, 77,
		24, 35, 55, 64, 81, 104, 113, 92,
		49, 64, 78, 87, 103, 121, 120, 101,
		72, 92, 95, 98, 112, 100, 103, 99,
	}
	chromaQuant = [64]int{
		17, 18, 24, 47, 99, 99, 99, 99,
		18, 21, 26, 66, 99, 99, 99, 99,
		24, 26, 56, 99, 99, 99, 99, 99,
		47, 66, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
	}
	// zigzag[i] is the natural index of the i-th coefficient in zigzag order.
	zigzag = [64]int{
		0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
		12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
		35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
		58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
	}
	dctCos32 = func() (c [8][8]float32) {
		for x := 0; x < 8; x++ {
			for u := 0; u < 8; u++ {
				k := 0.5
				if u == 0 {
					k = 0.5 / math.Sqrt2
				}
				c[u][x] = float32(k * math.Cos(float64(2*x+1)*float64(u)*math.Pi/16))
			}
		}
		return
	}()
)

func scaledQuant(base *[64]int, q int) (t [64]int) {
	q = max(1, min(100, q))
	scale := 200 - 2*q
	if q < 50 {
		scale = 5000 / q
	}
	for i, v := range base {
		t[i] = max(1, min(255, (v*scale+50)/100))
	}
	return
}

// symbol is one Huffman-coded event with its extra bits.
type symbol struct {
	table uint8  // 0 DC luma, 1 AC luma, 2 DC chroma, 3 AC chroma
	code  uint8  // the Huffman symbol
	nbits uint8  // extra bits after it
	bits  uint16 // their value
}

// dctImage is an image transformed once for a chroma subsampling: the
// DCT coefficients of every block in scan order, ready to be quantised at
// any quality (the quality search re-uses it).
type dctImage struct {
	w, h   int
	chroma Chroma
	blocks [][64]float32 // in MCU order: Y blocks, then Cb, then Cr
	luma   []bool        // per block: a Y block
}

// transform converts img to YCbCr (chroma halved for 4:2:0), pads it to
// whole MCUs by repeating the edge, and takes every block's DCT.
func transform(img image.Image, ch Chroma) (*dctImage, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 || w > 65535 || h > 65535 {
		return nil, errors.New("imageio: jpeg: bad image size")
	}
	mcu := 8
	if ch == Chroma420 {
		mcu = 16
	}
	pw, ph := (w+mcu-1)/mcu*mcu, (h+mcu-1)/mcu*mcu
	Y := make([]float32, pw*ph)
	Cb := make([]float32, pw*ph)
	Cr := make([]float32, pw*ph)
	src := newRGBReader(img)
	for y := 0; y < ph; y++ {
		sy := b.Min.Y + min(y, h-1)
		for x := 0; x < pw; x++ {
			r, g, bl := src(b.Min.X+min(x, w-1), sy)
			i := y*pw + x
			Y[i] = 0.299*r + 0.587*g + 0.114*bl - 128
			Cb[i] = -0.168736*r - 0.331264*g + 0.5*bl
			Cr[i] = 0.5*r - 0.418688*g - 0.081312*bl
		}
	}
	cw := pw
	if ch == Chroma420 {
		cw = pw / 2
		Cb, Cr = halve(Cb, pw, ph), halve(Cr, pw, ph)
	}
	d := &dctImage{w: w, h: h, chroma: ch}
	add := func(plane []float32, stride, x0, y0 int, luma bool) {
		var tmp [64]float32
		for y := 0; y < 8; y++ {
			row := plane[(y0+y)*stride+x0 : (y0+y)*stride+x0+8]
			for u := 0; u < 8; u++ {
				c := &dctCos32[u]
				tmp[y*8+u] = c[0]*row[0] + c[1]*row[1] + c[2]*row[2] + c[3]*row[3] +
					c[4]*row[4] + c[5]*row[5] + c[6]*row[6] + c[7]*row[7]
			}
		}
		var out [64]float32
		for v := 0; v < 8; v++ {
			c := &dctCos32[v]
			for u := 0; u < 8; u++ {
				out[v*8+u] = c[0]*tmp[u] + c[1]*tmp[8+u] + c[2]*tmp[16+u] + c[3]*tmp[24+u] +
					c[4]*tmp[32+u] + c[5]*tmp[40+u] + c[6]*tmp[48+u] + c[7]*tmp[56+u]
			}
		}
		d.blocks = append(d.blocks, out)
		d.luma = append(d.luma, luma)
	}
	for my := 0; my < ph; my += mcu {
		for mx := 0; mx < pw; mx += mcu {
			for by := 0; by < mcu; by += 8 {
				for bx := 0; bx < mcu; bx += 8 {
					add(Y, pw, mx+bx, my+by, true)
				}
			}
			cx, cy := mx, my
			if ch == Chroma420 {
				cx, cy = mx/2, my/2
			}
			add(Cb, cw, cx, cy, false)
			add(Cr, cw, cx, cy, false)
		}
	}
	return d, nil
}

// encodeBaseline writes a baseline JPEG (no JFIF segment: the caller adds
// it) with the given quality and chroma subsampling, and Huffman tables
// built for this image, which makes files smaller than the standard's
// example tables would.
func encodeBaseline(img image.Image, q int, ch Chroma) ([]byte, error) {
	d, err := transform(img, ch)
	if err != nil {
		return nil, err
	}
	return d.encode(q), nil
}

// encode quantises the coefficients at quality q and writes the file.
func (d *dctImage) encode(q int) []byte {
	w, h, ch := d.w, d.h, d.chroma
	lq, cq := scaledQuant(&lumaQuant, q), scaledQuant(&chromaQuant, q)
	var lqi, cqi [64]float32
	for i := range lqi {
		lqi[i], cqi[i] = 1/float32(lq[i]), 1/float32(cq[i])
	}
	syms := make([]symbol, 0, len(d.blocks)*8)
	var prev [3]int
	perMCU := 3
	if ch == Chroma420 {
		perMCU = 6
	}
	for bi := range d.blocks {
		blk := &d.blocks[bi]
		comp, qi, dcTable := 0, &lqi, uint8(0)
		if !d.luma[bi] {
			qi, dcTable = &cqi, 2
			comp = 1
			if bi%perMCU == perMCU-1 {
				comp = 2
			}
		}
		var coef [64]int
		for i := range coef {
			v := blk[i] * qi[i]
			if v >= 0 {
				coef[i] = int(v + 0.5)
			} else {
				coef[i] = -int(-v + 0.5)
			}
		}
		diff := coef[0] - prev[comp]
		prev[comp] = coef[0]
		n, bits := magnitude(diff)
		syms = append(syms, symbol{dcTable, uint8(n), uint8(n), bits})
		run := 0
		for k := 1; k < 64; k++ {
			c := coef[zigzag[k]]
			if c == 0 {
				run++
				continue
			}
			for run > 15 {
				syms = append(syms, symbol{table: dcTable + 1, code: 0xF0})
				run -= 16
			}
			n, bits := magnitude(c)
			syms = append(syms, symbol{dcTable + 1, uint8(run<<4 | n), uint8(n), bits})
			run = 0
		}
		if run > 0 {
			syms = append(syms, symbol{table: dcTable + 1, code: 0x00})
		}
	}

	// Huffman tables from the symbol counts.
	var freq [4][257]int
	for _, s := range syms {
		freq[s.table][s.code]++
	}
	var tables [4]huffTable
	for t := range tables {
		tables[t] = buildHuffman(&freq[t])
	}

	var out bytes.Buffer
	out.Grow(len(syms) / 2)
	out.Write([]byte{0xFF, 0xD8})
	// DQT: two 8-bit tables in zigzag order.
	out.Write([]byte{0xFF, 0xDB, 0, 132, 0})
	for k := 0; k < 64; k++ {
		out.WriteByte(byte(lq[zigzag[k]]))
	}
	out.WriteByte(1)
	for k := 0; k < 64; k++ {
		out.WriteByte(byte(cq[zigzag[k]]))
	}
	// SOF0.
	samp := byte(0x11)
	if ch == Chroma420 {
		samp = 0x22
	}
	out.Write([]byte{0xFF, 0xC0, 0, 17, 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 3,
		1, samp, 0, 2, 0x11, 1, 3, 0x11, 1})
	// DHT.
	for t, id := range []byte{0x00, 0x10, 0x01, 0x11} {
		tb := &tables[t]
		n := 0
		for _, c := range tb.counts {
			n += int(c)
		}
		l := 2 + 1 + 16 + n
		out.Write([]byte{0xFF, 0xC4, byte(l >> 8), byte(l), id})
		out.Write(tb.counts[:])
		out.Write(tb.symbols)
	}
	// SOS.
	out.Write([]byte{0xFF, 0xDA, 0, 12, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0})
	bw := bitWriter{out: &out}
	for _, s := range syms {
		tb := &tables[s.table]
		bw.put(uint32(tb.code[s.code]), uint(tb.size[s.code]))
		if s.nbits > 0 {
			bw.put(uint32(s.bits), uint(s.nbits))
		}
	}
	bw.flush()
	out.Write([]byte{0xFF, 0xD9})
	return out.Bytes()
}

// newRGBReader returns a fast pixel reader for the usual image types.
func newRGBReader(img image.Image) func(x, y int) (r, g, b float32) {
	switch m := img.(type) {
	case *image.RGBA:
		return func(x, y int) (float32, float32, float32) {
			i := m.PixOffset(x, y)
			return float32(m.Pix[i]), float32(m.Pix[i+1]), float32(m.Pix[i+2])
		}
	case *image.NRGBA:
		return func(x, y int) (float32, float32, float32) {
			i := m.PixOffset(x, y)
			return float32(m.Pix[i]), float32(m.Pix[i+1]), float32(m.Pix[i+2])
		}
	}
	return func(x, y int) (float32, float32, float32) {
		r, g, b, _ := img.At(x, y).RGBA()
		return float32(r >> 8), float32(g >> 8), float32(b >> 8)
	}
}

// halve averages 2×2 blocks of a w×h plane.
func halve(p []float32, w, h int) []float32 {
	out := make([]float32, (w/2)*(h/2))
	for y := 0; y < h/2; y++ {
		for x := 0; x < w/2; x++ {
			i := 2*y*w + 2*x
			out[y*(w/2)+x] = (p[i] + p[i+1] + p[i+w] + p[i+w+1]) / 4
		}
	}
	return out
}

// magnitude returns the JPEG size category of v and its extra bits.
func magnitude(v int) (int, uint16) {
	a := v
	if a < 0 {
		a = -a
	}
	n := 0
	for a>>n != 0 {
		n++
	}
	if v < 0 {
		v += 1<<n - 1
	}
	return n, uint16(v)
}

// huffTable is a canonical Huffman table: counts[i] codes of length i+1,
// symbols in code order; code and size indexed by symbol.
type huffTable struct {
	counts  [16]byte
	symbols []byte
	code    [256]uint16
	size    [256]uint8
}

// buildHuffman makes a length-limited (16 bits) Huffman table from
// symbol frequencies, following the procedure of the JPEG standard
// (Annex K.2): a reserved symbol 256 keeps any code from being all ones.
func buildHuffman(freq *[257]int) huffTable {
	var f [257]int
	copy(f[:], freq[:])
	f[256] = 1
	var codesize [257]int
	var others [257]int
	for i := range others {
		others[i] = -1
	}
	for {
		v1, v2 := -1, -1
		for i := 0; i < 257; i++ {
			if f[i] > 0 && (v1 < 0 || f[i] <= f[v1]) {
				v1 = i
			}
		}
		for i := 0; i < 257; i++ {
			if i != v1 && f[i] > 0 && (v2 < 0 || f[i] <= f[v2]) {
				v2 = i
			}
		}
		if v2 < 0 {
			break
		}
		f[v1] += f[v2]
		f[v2] = 0
		codesize[v1]++
		for others[v1] >= 0 {
			v1 = others[v1]
			codesize[v1]++
		}
		others[v1] = v2
		codesize[v2]++
		for others[v2] >= 0 {
			v2 = others[v2]
			codesize[v2]++
		}
	}
	var bits [33]int
	for i := 0; i < 257; i++ {
		if codesize[i] > 0 {
			bits[codesize[i]]++
		}
	}
	for i := 32; i > 16; i-- {
		for bits[i] > 0 {
			j := i - 2
			for bits[j] == 0 {
				j--
			}
			bits[i] -= 2
			bits[i-1]++
			bits[j+1] += 2
			bits[j]--
		}
	}
	i := 16
	for bits[i] == 0 {
		i--
	}
	bits[i]-- // drop the reserved symbol's code
	var t huffTable
	for l := 1; l <= 16; l++ {
		t.counts[l-1] = byte(bits[l])
	}
	// Symbols sorted by code size (then value), excluding the reserved one.
	syms := make([]int, 0, 256)
	for s := 0; s < 256; s++ {
		if codesize[s] > 0 {
			syms = append(syms, s)
		}
	}
	sort.SliceStable(syms, func(a, b int) bool { return codesize[syms[a]] < codesize[syms[b]] })
	code := uint16(0)
	k := 0
	for l := 1; l <= 16; l++ {
		for n := 0; n < bits[l]; n++ {
			s := syms[k]
			t.symbols = append(t.symbols, byte(s))
			t.code[s], t.size[s] = code, uint8(l)
			code++
			k++
		}
		code <<= 1
	}
	return t
}

// bitWriter packs bits MSB first with JPEG's 0xFF byte stuffing.
type bitWriter struct {
	out  *bytes.Buffer
	acc  uint32
	nacc uint
}

func (w *bitWriter) put(bits uint32, n uint) {
	w.acc = w.acc<<n | bits&(1<<n-1)
	w.nacc += n
	for w.nacc >= 8 {
		b := byte(w.acc >> (w.nacc - 8))
		w.out.WriteByte(b)
		if b == 0xFF {
			w.out.WriteByte(0)
		}
		w.nacc -= 8
	}
}

func (w *bitWriter) flush() {
	if w.nacc > 0 {
		w.put(1<<(8-w.nacc)-1, 8-w.nacc) // pad with ones
	}
}
