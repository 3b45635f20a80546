package idphoto

import (
	"image"
	"math"
	"runtime"

	"github.com/zhengapi/zheng/internal/imageio"
)

// pixelSource reads one pixel's RGB (0–255) at integer coordinates inside
// its bounds. The concrete types a decoder returns get fast paths; anything
// else goes through image.Image.At.
type pixelSource interface {
	rgb(x, y int) (r, g, b float32)
	bounds() image.Rectangle
}

func newPixelSource(img image.Image) pixelSource {
	switch m := img.(type) {
	case *image.RGBA:
		return rgbaSource{m}
	case *image.NRGBA:
		return nrgbaSource{m}
	case *image.YCbCr:
		return ycbcrSource{m}
	}
	return genericSource{img}
}

type rgbaSource struct{ m *image.RGBA }

func (s rgbaSource) bounds() image.Rectangle { return s.m.Rect }
func (s rgbaSource) rgb(x, y int) (float32, float32, float32) {
	i := s.m.PixOffset(x, y)
	p := s.m.Pix[i : i+3 : i+3]
	return float32(p[0]), float32(p[1]), float32(p[2])
}

type nrgbaSource struct{ m *image.NRGBA }

func (s nrgbaSource) bounds() image.Rectangle { return s.m.Rect }
func (s nrgbaSource) rgb(x, y int) (float32, float32, float32) {
	i := s.m.PixOffset(x, y)
	p := s.m.Pix[i : i+3 : i+3]
	return float32(p[0]), float32(p[1]), float32(p[2])
}

type ycbcrSource struct{ m *image.YCbCr }

func (s ycbcrSource) bounds() image.Rectangle { return s.m.Rect }
func (s ycbcrSource) rgb(x, y int) (float32, float32, float32) {
	yy := float32(s.m.Y[s.m.YOffset(x, y)])
	ci := s.m.COffset(x, y)
	cb, cr := float32(s.m.Cb[ci])-128, float32(s.m.Cr[ci])-128
	return clamp255(yy + 1.402*cr), clamp255(yy - 0.344136*cb - 0.714136*cr), clamp255(yy + 1.772*cb)
}

type genericSource struct{ m image.Image }

func (s genericSource) bounds() image.Rectangle { return s.m.Bounds() }
func (s genericSource) rgb(x, y int) (float32, float32, float32) {
	r, g, b, _ := s.m.At(x, y).RGBA()
	return float32(r >> 8), float32(g >> 8), float32(b >> 8)
}

func clamp255(v float32) float32 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return v
}

// bilinear samples src at continuous coordinates (pixel centres at +0.5),
// clamping to the edge.
func bilinear(src pixelSource, b image.Rectangle, x, y float64) (r, g, bl float32) {
	fx, fy := x-0.5, y-0.5
	x0, y0 := int(math.Floor(fx)), int(math.Floor(fy))
	ax, ay := float32(fx-float64(x0)), float32(fy-float64(y0))
	x1, y1 := x0+1, y0+1
	x0, x1 = clampInt(x0, b.Min.X, b.Max.X-1), clampInt(x1, b.Min.X, b.Max.X-1)
	y0, y1 = clampInt(y0, b.Min.Y, b.Max.Y-1), clampInt(y1, b.Min.Y, b.Max.Y-1)
	r00, g00, b00 := src.rgb(x0, y0)
	r10, g10, b10 := src.rgb(x1, y0)
	r01, g01, b01 := src.rgb(x0, y1)
	r11, g11, b11 := src.rgb(x1, y1)
	w00, w10, w01, w11 := (1-ax)*(1-ay), ax*(1-ay), (1-ax)*ay, ax*ay
	return r00*w00 + r10*w10 + r01*w01 + r11*w11,
		g00*w00 + g10*w10 + g01*w01 + g11*w11,
		b00*w00 + b10*w10 + b01*w01 + b11*w11
}

// grayBilinear samples a matte (0–1), 0 outside its bounds.
func grayBilinear(m *image.Gray, x, y float64) float32 {
	b := m.Rect
	fx, fy := x-0.5, y-0.5
	x0, y0 := int(math.Floor(fx)), int(math.Floor(fy))
	ax, ay := float32(fx-float64(x0)), float32(fy-float64(y0))
	at := func(x, y int) float32 {
		// The tap just past an edge repeats the edge, so the last row or
		// column is not half-transparent; further out is 0.
		if x == b.Min.X-1 || x == b.Max.X {
			x = clampInt(x, b.Min.X, b.Max.X-1)
		}
		if y == b.Min.Y-1 || y == b.Max.Y {
			y = clampInt(y, b.Min.Y, b.Max.Y-1)
		}
		if x < b.Min.X || y < b.Min.Y || x >= b.Max.X || y >= b.Max.Y {
			return 0
		}
		return float32(m.Pix[(y-b.Min.Y)*m.Stride+(x-b.Min.X)])
	}
	v := at(x0, y0)*(1-ax)*(1-ay) + at(x0+1, y0)*ax*(1-ay) + at(x0, y0+1)*(1-ax)*ay + at(x0+1, y0+1)*ax*ay
	return v / 255
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// affine maps output pixel coordinates to source coordinates:
// src = A·(u, v) + T.
type affine struct{ a, b, c, d, tx, ty float64 }

func (m affine) apply(u, v float64) (x, y float64) {
	return m.a*u + m.b*v + m.tx, m.c*u + m.d*v + m.ty
}

// inverse maps source coordinates to output coordinates.
func (m affine) inverse() affine {
	det := m.a*m.d - m.b*m.c
	ia, ib, ic, id := m.d/det, -m.b/det, -m.c/det, m.a/det
	return affine{ia, ib, ic, id, -(ia*m.tx + ib*m.ty), -(ic*m.tx + id*m.ty)}
}

// renderInput is what render composites.
type renderInput struct {
	src    image.Image
	alpha  *image.Gray  // matte over a region of src; nil = everything is person
	fg     *image.NRGBA // foreground colours over the same region, may be nil
	bg     Background
	toSrc  affine // output pixel → source pixel
	w, h   int
	srcPer float64 // source pixels per output pixel (for the filter size)
	// noExtend: src is a part of the photo that stops above its bottom
	// edge, so its last row must not be repeated.
	noExtend bool
	// bodyTop is the output row (the chin) below which an output point
	// outside the photo takes the photo's edge above it and towards the
	// face axis (column axisX), along a shoulder's slope, so a rotated or
	// narrow photo's edge does not cut the body; above it the background
	// shows.
	bodyTop, axisX float64
}

// render produces the composited output and its coverage (alpha, 0–255):
// each output pixel averages n×n bilinear samples over its footprint in
// the source, compositing foreground over the background per sample, so
// downscaling is area-correct and edges are not aliased. Above the source,
// beside it above the chin, and outside the matte, the new background
// shows; below the source its last row is repeated (see bodyBottom), and
// beside it below the chin its edge is continued (see edgeAbove).
func render(in renderInput) (*image.RGBA, *image.Gray) {
	in = prefilter(in)
	src := newPixelSource(in.src)
	sb := src.bounds()
	var fgs pixelSource
	if in.fg != nil {
		fgs = nrgbaSource{in.fg}
	}
	n := int(math.Ceil(in.srcPer))
	if n < 1 {
		n = 1
	}
	if n > 6 {
		n = 6
	}
	out := image.NewRGBA(image.Rect(0, 0, in.w, in.h))
	cov := image.NewGray(out.Rect)
	inv := 1 / float32(n*n)
	// sample returns alpha and alpha-weighted colour at a source point.
	sample := func(x, y float64) (r, g, b, a float32) {
		if x < float64(sb.Min.X) || y < float64(sb.Min.Y) || x >= float64(sb.Max.X) || y >= float64(sb.Max.Y) {
			return 0, 0, 0, 0 // outside the photo: background
		}
		a = 1
		if in.alpha != nil {
			if a = grayBilinear(in.alpha, x, y); a <= 0 {
				return 0, 0, 0, 0
			}
		}
		if fgs != nil && image.Pt(int(x), int(y)).In(in.fg.Rect) {
			r, g, b = bilinear(fgs, in.fg.Rect, x, y)
		} else {
			r, g, b = bilinear(src, sb, x, y)
		}
		return a * r, a * g, a * b, a
	}
	last := float64(sb.Max.Y) - 0.5
	// Prefix sums of the photo's last row (alpha-weighted colour, alpha),
	// for the torso extension below.
	rowW := sb.Dx()
	pre := make([][4]float32, rowW+1)
	if !in.noExtend {
		for x := 0; x < rowW; x++ {
			r, g, b, a := sample(float64(sb.Min.X+x)+0.5, last)
			p := pre[x]
			pre[x+1] = [4]float32{p[0] + r, p[1] + g, p[2] + b, p[3] + a}
		}
	}
	// rowBox averages the last row over [x0, x1) in source x; outside the
	// photo counts as background.
	rowBox := func(x0, x1 float64) (r, g, b, a float32) {
		width := float32(x1 - x0)
		i0 := clampInt(int(math.Round(x0))-sb.Min.X, 0, rowW)
		i1 := clampInt(int(math.Round(x1))-sb.Min.X, 0, rowW)
		if i1 <= i0 {
			i1 = min(i0+1, rowW)
			i0 = i1 - 1
			width = 1
			if i0 < 0 || x0 >= float64(sb.Max.X) || x1 <= float64(sb.Min.X) {
				return 0, 0, 0, 0
			}
		}
		d := [4]float32{pre[i1][0] - pre[i0][0], pre[i1][1] - pre[i0][1], pre[i1][2] - pre[i0][2], pre[i1][3] - pre[i0][3]}
		return d[0] / width, d[1] / width, d[2] / width, d[3] / width
	}
	for v := 0; v < in.h; v++ {
		bgc := in.bg.At(v, in.h)
		bgr, bgg, bgb := float32(bgc.R), float32(bgc.G), float32(bgc.B)
		for u := 0; u < in.w; u++ {
			var sr, sg, sbl, sa float32
			for j := 0; j < n; j++ {
				for i := 0; i < n; i++ {
					x, y := in.toSrc.apply(float64(u)+(float64(i)+0.5)/float64(n), float64(v)+(float64(j)+0.5)/float64(n))
					if y >= float64(sb.Max.Y) && !in.noExtend && x >= float64(sb.Min.X) && x < float64(sb.Max.X) {
						// Below the photo: continue its last row downwards,
						// blurred sideways more the further it goes, so the
						// torso fades on instead of ending in a cut or in
						// sharp streaks.
						spread := 0.4*(y-last) + 0.5
						r, g, b, a := rowBox(x-spread, x+spread)
						sr, sg, sbl, sa = sr+r, sg+g, sbl+b, sa+a
						continue
					}
					if x < float64(sb.Min.X) || x >= float64(sb.Max.X) || y < float64(sb.Min.Y) || y >= float64(sb.Max.Y) {
						// Beside the photo (it was rotated, or is narrow):
						// take the photo's edge above and towards the
						// axis, matte included, so the body goes on.
						ou, ov := float64(u)+(float64(i)+0.5)/float64(n), float64(v)+(float64(j)+0.5)/float64(n)
						run := shoulderRun // towards the axis
						if ou > in.axisX {
							run = -run
						}
						if ex, ey, ok := edgeAbove(in.toSrc, sb, x, y, run, ov-in.bodyTop); ok {
							x, y = ex, ey
						}
					}
					r, g, b, a := sample(x, y)
					sr, sg, sbl, sa = sr+r, sg+g, sbl+b, sa+a
				}
			}
			sr, sg, sbl, sa = sr*inv, sg*inv, sbl*inv, sa*inv
			o := out.PixOffset(u, v)
			out.Pix[o] = uint8(clamp255(sr+bgr*(1-sa)) + 0.5)
			out.Pix[o+1] = uint8(clamp255(sg+bgg*(1-sa)) + 0.5)
			out.Pix[o+2] = uint8(clamp255(sbl+bgb*(1-sa)) + 0.5)
			out.Pix[o+3] = 255
			cov.Pix[v*cov.Stride+u] = uint8(clamp255(sa*255) + 0.5)
		}
	}
	return out, cov
}

// shoulderRun is the sideways step per output row up along which a point
// beside the photo takes its colour: about a shoulder's slope (30°), so
// the continued outline slopes like one instead of dropping straight.
const shoulderRun = 1.7

// edgeAbove walks from the source point (x, y), outside b, up in the
// output frame by at most maxUp output rows, moving run output columns
// sideways per row, to where it enters b, and returns that point moved
// just inside b. ok is false when the walk does not reach b.
func edgeAbove(t affine, b image.Rectangle, x, y, run, maxUp float64) (ex, ey float64, ok bool) {
	if maxUp <= 0 {
		return 0, 0, false
	}
	ux, uy := t.a*run-t.b, t.c*run-t.d // one step, in source pixels
	lo, hi := 0.0, maxUp
	for _, ax := range [][4]float64{{x, ux, float64(b.Min.X), float64(b.Max.X)}, {y, uy, float64(b.Min.Y), float64(b.Max.Y)}} {
		p, d, mn, mx := ax[0], ax[1], ax[2], ax[3]
		if math.Abs(d) < 1e-12 {
			if p < mn || p >= mx {
				return 0, 0, false
			}
			continue
		}
		t0, t1 := (mn-p)/d, (mx-p)/d
		if t0 > t1 {
			t0, t1 = t1, t0
		}
		lo, hi = math.Max(lo, t0), math.Min(hi, t1)
	}
	if lo > hi {
		return 0, 0, false
	}
	ex = math.Max(float64(b.Min.X)+0.5, math.Min(float64(b.Max.X)-0.5, x+lo*ux))
	ey = math.Max(float64(b.Min.Y)+0.5, math.Min(float64(b.Max.Y)-0.5, y+lo*uy))
	return ex, ey, true
}

// luma of an RGB colour (BT.601).
func luma(r, g, b float32) float32 { return 0.299*r + 0.587*g + 0.114*b }

// prefilter shrinks the part of the source that the output box covers by
// an integer factor with a box filter (alpha-weighted for the foreground),
// so that render's supersampling stays small on large inputs: a 22 MP
// photo becomes a few hundred thousand pixels before resampling. The
// result renders the same picture.
func prefilter(in renderInput) renderInput {
	f := int(in.srcPer)
	if f < 2 {
		return in
	}
	// The source region under the output box.
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range [][2]float64{{0, 0}, {float64(in.w), 0}, {0, float64(in.h)}, {float64(in.w), float64(in.h)}} {
		x, y := in.toSrc.apply(p[0], p[1])
		x0, y0, x1, y1 = math.Min(x0, x), math.Min(y0, y), math.Max(x1, x), math.Max(y1, y)
	}
	sb := in.src.Bounds()
	reg := image.Rect(int(math.Floor(x0))-f, int(math.Floor(y0))-f, int(math.Ceil(x1))+f, int(math.Ceil(y1))+f).Intersect(sb)
	if reg.Empty() {
		return in
	}
	w, h := (reg.Dx()+f-1)/f, (reg.Dy()+f-1)/f
	rgb := boxRGB(in.src, reg, f, w, h)
	var alpha *image.Gray
	var fg *image.NRGBA
	if in.alpha != nil {
		// A nil foreground makes render take the colours from the photo.
		alpha, fg = boxMatte(in.alpha, in.fg, reg, f, w, h)
	}
	// Output → shrunk coordinates: (src − reg.Min) / f.
	t := in.toSrc
	k := 1 / float64(f)
	out := in
	out.src, out.alpha, out.fg = rgb, alpha, fg
	out.toSrc = affine{t.a * k, t.b * k, t.c * k, t.d * k, (t.tx - float64(reg.Min.X)) * k, (t.ty - float64(reg.Min.Y)) * k}
	out.srcPer = in.srcPer / float64(f)
	if reg.Max.Y < sb.Max.Y {
		out.noExtend = true
	}
	return out
}

// boxRGB averages f×f blocks of src over reg into a w×h image (reg's
// size divided by f, rounded up), on all cores.
func boxRGB(img image.Image, reg image.Rectangle, f, w, h int) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	sw, sh, pix := imageio.Shrink(img, reg, f, runtime.GOMAXPROCS(0))
	for y := range min(h, sh) {
		for x := range min(w, sw) {
			i, o := 3*(y*sw+x), out.PixOffset(x, y)
			out.Pix[o] = uint8(clamp255(pix[i]) + 0.5)
			out.Pix[o+1] = uint8(clamp255(pix[i+1]) + 0.5)
			out.Pix[o+2] = uint8(clamp255(pix[i+2]) + 0.5)
			out.Pix[o+3] = 255
		}
	}
	return out
}

// boxMatte shrinks the matte and the foreground like boxRGB, on the same
// grid; the foreground is averaged weighted by alpha, so that alpha×colour
// is preserved. Outside the matte alpha is 0.
func boxMatte(a *image.Gray, fgImg *image.NRGBA, reg image.Rectangle, f, w, h int) (*image.Gray, *image.NRGBA) {
	alpha := image.NewGray(image.Rect(0, 0, w, h))
	fg := image.NewNRGBA(alpha.Rect)
	acc := make([]float32, 4*w)
	area := reg.Intersect(a.Rect)
	// The foreground covers the matte's region (package matte's contract);
	// otherwise colours come from the photo.
	fgOK := fgImg != nil && area.In(fgImg.Rect)
	for by := 0; by < h; by++ {
		clear(acc)
		y0, y1 := reg.Min.Y+by*f, min(reg.Min.Y+(by+1)*f, reg.Max.Y)
		for y := max(y0, area.Min.Y); y < min(y1, area.Max.Y); y++ {
			arow := a.Pix[(y-a.Rect.Min.Y)*a.Stride:]
			for x := area.Min.X; x < area.Max.X; x++ {
				av := arow[x-a.Rect.Min.X]
				if av == 0 {
					continue
				}
				al := float32(av) / 255
				bx := (x - reg.Min.X) / f
				acc[4*bx+3] += al
				if fgOK {
					i := fgImg.PixOffset(x, y)
					acc[4*bx] += al * float32(fgImg.Pix[i])
					acc[4*bx+1] += al * float32(fgImg.Pix[i+1])
					acc[4*bx+2] += al * float32(fgImg.Pix[i+2])
				}
			}
		}
		rows := y1 - y0
		for bx := 0; bx < w; bx++ {
			sa := acc[4*bx+3]
			if sa == 0 {
				continue
			}
			cols := min(reg.Min.X+(bx+1)*f, reg.Max.X) - (reg.Min.X + bx*f)
			alpha.Pix[by*alpha.Stride+bx] = uint8(clamp255(sa/float32(rows*cols)*255) + 0.5)
			o := fg.PixOffset(bx, by)
			fg.Pix[o] = uint8(clamp255(acc[4*bx]/sa) + 0.5)
			fg.Pix[o+1] = uint8(clamp255(acc[4*bx+1]/sa) + 0.5)
			fg.Pix[o+2] = uint8(clamp255(acc[4*bx+2]/sa) + 0.5)
			fg.Pix[o+3] = 255
		}
	}
	if !fgOK {
		fg = nil
	}
	return alpha, fg
}
