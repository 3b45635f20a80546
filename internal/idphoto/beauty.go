package idphoto

import (
	"image"
	"math"

	"github.com/zhengapi/zheng/internal/face"
)

// beautify smooths skin and balances its tone, in place, with strength
// degree (1–5). Only skin is touched: a mask made of the face outline
// (facemesh's oval, or an ellipse from brow and chin), minus eyes, brows
// and mouth, times the person matte, times a skin-colour likelihood. Hair,
// clothes and background keep their pixels.
func beautify(out *image.RGBA, cov *image.Gray, lm outLandmarks, degree float64) {
	if lm.faceH < 8 {
		return
	}
	k := math.Min(1, degree/5)
	w, h := out.Rect.Dx(), out.Rect.Dy()
	fh := lm.faceH
	cx, cy := (lm.brow.X+lm.chin.X)/2, (lm.brow.Y+lm.chin.Y)/2
	// Work on the face's bounding box only.
	bx0 := clampInt(int(cx-0.7*fh), 0, w)
	bx1 := clampInt(int(cx+0.7*fh), 0, w)
	by0 := clampInt(int(lm.brow.Y-0.5*fh), 0, h)
	by1 := clampInt(int(lm.chin.Y+0.1*fh), 0, h)
	bw, bh := bx1-bx0, by1-by0
	if bw < 4 || bh < 4 {
		return
	}
	mask := make([]float32, bw*bh)
	inside := insideFace(lm, cx, cy)
	for y := 0; y < bh; y++ {
		for x := 0; x < bw; x++ {
			px, py := float64(bx0+x)+0.5, float64(by0+y)+0.5
			if !inside(px, py) || nearFeature(lm, px, py) {
				continue
			}
			o := out.PixOffset(bx0+x, by0+y)
			r, g, b := float64(out.Pix[o]), float64(out.Pix[o+1]), float64(out.Pix[o+2])
			a := float64(cov.Pix[(by0+y)*cov.Stride+bx0+x]) / 255
			mask[y*bw+x] = float32(a * skinLikelihood(r, g, b))
		}
	}
	feather := max(1, int(fh/40))
	mask = boxBlur(mask, bw, bh, feather)

	// Edge-preserving smoothing: remove small-amplitude detail (texture,
	// blemishes), keep strong edges (nostrils, lips, face outline).
	rad := max(1, int(fh/45))
	planes := make([][]float32, 3)
	for c := range 3 {
		p := make([]float32, bw*bh)
		for y := 0; y < bh; y++ {
			for x := 0; x < bw; x++ {
				p[y*bw+x] = float32(out.Pix[out.PixOffset(bx0+x, by0+y)+c])
			}
		}
		planes[c] = boxBlur(p, bw, bh, rad)
	}
	// Tone: move the skin's mean luma towards a bright, neutral level.
	var sum, wsum float64
	for y := 0; y < bh; y++ {
		for x := 0; x < bw; x++ {
			m := float64(mask[y*bw+x])
			if m <= 0 {
				continue
			}
			o := out.PixOffset(bx0+x, by0+y)
			sum += m * float64(luma(float32(out.Pix[o]), float32(out.Pix[o+1]), float32(out.Pix[o+2])))
			wsum += m
		}
	}
	gain := 1.0
	if wsum > 0 {
		mean := sum / wsum
		gain = 1 + 0.6*k*(175-mean)/math.Max(mean, 1)
		gain = math.Max(0.92, math.Min(1.2, gain))
	}
	const sigma = 14.0
	for y := 0; y < bh; y++ {
		for x := 0; x < bw; x++ {
			m := float64(mask[y*bw+x])
			if m <= 0.002 {
				continue
			}
			o := out.PixOffset(bx0+x, by0+y)
			for c := range 3 {
				v := float64(out.Pix[o+c])
				d := v - float64(planes[c][y*bw+x])
				wgt := math.Exp(-d * d / (2 * sigma * sigma))
				v -= 0.85 * k * m * wgt * d
				v *= 1 + (gain-1)*m
				out.Pix[o+c] = uint8(math.Max(0, math.Min(255, v)) + 0.5)
			}
		}
	}
}

// insideFace returns a test for the face region: the mesh outline when
// present, else an ellipse from brow and chin.
func insideFace(lm outLandmarks, cx, cy float64) func(x, y float64) bool {
	if len(lm.oval) >= 3 {
		poly := lm.oval
		return func(x, y float64) bool { return inPolygon(poly, x, y) }
	}
	rx, ry := 0.42*lm.faceH, 0.58*lm.faceH
	return func(x, y float64) bool {
		dx, dy := (x-cx)/rx, (y-cy)/ry
		return dx*dx+dy*dy <= 1
	}
}

func inPolygon(p []face.Point, x, y float64) bool {
	in := false
	for i, j := 0, len(p)-1; i < len(p); j, i = i, i+1 {
		if (p[i].Y > y) != (p[j].Y > y) && x < (p[j].X-p[i].X)*(y-p[i].Y)/(p[j].Y-p[i].Y)+p[i].X {
			in = !in
		}
	}
	return in
}

// nearFeature reports points on the eyes and brows or the mouth, which
// smoothing must leave sharp.
func nearFeature(lm outLandmarks, x, y float64) bool {
	fh := lm.faceH
	for _, e := range []face.Point{lm.eyeR, lm.eyeL} {
		dx, dy := (x-e.X)/(0.17*fh), (y-(e.Y-0.06*fh))/(0.15*fh)
		if dx*dx+dy*dy <= 1 {
			return true
		}
	}
	if lm.mouth != (face.Point{}) {
		dx, dy := (x-lm.mouth.X)/(0.2*fh), (y-lm.mouth.Y)/(0.09*fh)
		if dx*dx+dy*dy <= 1 {
			return true
		}
	}
	return false
}

// skinLikelihood is a soft YCbCr skin test (1 inside the usual skin
// chroma box, fading to 0 a little outside it).
func skinLikelihood(r, g, b float64) float64 {
	cb := 128 - 0.168736*r - 0.331264*g + 0.5*b
	cr := 128 + 0.5*r - 0.418688*g - 0.081312*b
	soft := func(v, lo, hi, edge float64) float64 {
		switch {
		case v < lo-edge || v > hi+edge:
			return 0
		case v < lo:
			return (v - (lo - edge)) / edge
		case v > hi:
			return ((hi + edge) - v) / edge
		}
		return 1
	}
	return soft(cr, 133, 175, 8) * soft(cb, 77, 130, 8)
}

// boxBlur blurs a w×h plane with a (2r+1)² box, separably, clamping at
// the edges.
func boxBlur(p []float32, w, h, r int) []float32 {
	tmp := make([]float32, len(p))
	out := make([]float32, len(p))
	inv := 1 / float32(2*r+1)
	for y := 0; y < h; y++ {
		row := p[y*w : (y+1)*w]
		var s float32
		for i := -r; i <= r; i++ {
			s += row[clampInt(i, 0, w-1)]
		}
		for x := 0; x < w; x++ {
			tmp[y*w+x] = s * inv
			s += row[clampInt(x+r+1, 0, w-1)] - row[clampInt(x-r, 0, w-1)]
		}
	}
	for x := 0; x < w; x++ {
		var s float32
		for i := -r; i <= r; i++ {
			s += tmp[clampInt(i, 0, h-1)*w+x]
		}
		for y := 0; y < h; y++ {
			out[y*w+x] = s * inv
			s += tmp[clampInt(y+r+1, 0, h-1)*w+x] - tmp[clampInt(y-r, 0, h-1)*w+x]
		}
	}
	return out
}
