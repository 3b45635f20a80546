package matte

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"runtime"
	"sync"

	"github.com/zhengapi/zheng/internal/imageio"
	"github.com/zhengapi/zheng/internal/nn"
)

// runner is the part of *nn.Model the matter uses.
type runner interface {
	Run(ctx context.Context, in map[string]*nn.Tensor, opt *nn.RunOptions) (map[string]*nn.Tensor, error)
}

// Options tune a Matter. The zero value (or nil) means the defaults.
type Options struct {
	// LongSide is the long side of the working copy the network sees
	// (default 512). Regions smaller than that are not enlarged.
	LongSide int
	// DownsampleRatio is rvm's internal downsampling of the working copy
	// for its coarse pass (default 0.5; 0.25 is faster and coarser).
	DownsampleRatio float64
	// Radius and Epsilon set the colour guided filter that carries the
	// matte to full resolution: window radius in working pixels (default
	// 2) and regularisation on [0,1] RGB (default 1e-3; smaller follows
	// image edges more closely).
	Radius  int
	Epsilon float64
	// Threads is passed to the model run and bounds the refinement's
	// goroutines (0 = all cores).
	Threads int
}

func (o *Options) withDefaults() Options {
	var v Options
	if o != nil {
		v = *o
	}
	if v.LongSide <= 0 {
		v.LongSide = 512
	}
	if v.DownsampleRatio <= 0 || v.DownsampleRatio > 1 {
		v.DownsampleRatio = 0.5
	}
	if v.Radius <= 0 {
		v.Radius = 2
	}
	if v.Epsilon <= 0 {
		v.Epsilon = 1e-3
	}
	if v.Threads <= 0 {
		v.Threads = runtime.GOMAXPROCS(0)
	}
	return v
}

// Matter mattes people. It is safe for concurrent use.
type Matter struct {
	rvm runner
	opt Options
}

// New loads rvm from modelsDir with default options.
func New(modelsDir string) (*Matter, error) { return NewOptions(modelsDir, nil) }

// NewOptions is New with options; nil means defaults.
func NewOptions(modelsDir string, opt *Options) (*Matter, error) {
	m, err := nn.LoadNamed(modelsDir, "rvm")
	if err != nil {
		return nil, fmt.Errorf("matte: load rvm: %w", err)
	}
	return &Matter{rvm: m, opt: opt.withDefaults()}, nil
}

// ErrEmptyRegion is returned when roi does not overlap the image.
var ErrEmptyRegion = errors.New("matte: empty region")

// Matte mattes the region roi of img (clipped to img.Bounds()).
func (m *Matter) Matte(ctx context.Context, img image.Image, roi image.Rectangle) (*Result, error) {
	roi = roi.Intersect(img.Bounds())
	if roi.Empty() {
		return nil, ErrEmptyRegion
	}
	src := m.prepare(img, roi)
	pha, fgr, err := m.infer(ctx, src)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return m.refine(imageio.RowReaderFor(img), roi, src, pha, fgr), nil
}

// workingSize scales the region to LongSide (never up) and rounds both
// sides to multiples of 32, so that rvm's downsampling by the ratio and its
// encoder strides stay on whole pixels; the aspect ratio changes by at most
// a few per cent and is never squashed to a square.
func (m *Matter) workingSize(w, h int) (int, int) {
	s := math.Min(1, float64(m.opt.LongSide)/float64(max(w, h)))
	round := func(v int) int { return max(64, int(math.Round(float64(v)*s/32))*32) }
	return round(w), round(h)
}

// prepare returns the working copy of roi (RGB 0..255).
func (m *Matter) prepare(img image.Image, roi image.Rectangle) *plane {
	ww, wh := m.workingSize(roi.Dx(), roi.Dy())
	k := max(1, max(roi.Dx(), roi.Dy())/(2*max(ww, wh)))
	return shrink(img, roi, k, m.opt.Threads).resize(ww, wh)
}

// infer runs rvm once (no recurrent history) on the working copy and
// returns its alpha and foreground colours (0..1).
func (m *Matter) infer(ctx context.Context, src *plane) (pha, fgr *plane, err error) {
	in := nn.NewTensor(1, src.h, src.w, 3)
	for i, v := range src.pix {
		in.Data[i] = v / 255
	}
	zero := func() *nn.Tensor { return &nn.Tensor{Shape: []int{}, Data: []float32{0}} }
	feeds := map[string]*nn.Tensor{
		"src":              in,
		"downsample_ratio": {Shape: []int{}, Data: []float32{float32(m.opt.DownsampleRatio)}},
		"r1i":              zero(), "r2i": zero(), "r3i": zero(), "r4i": zero(),
	}
	out, err := m.rvm.Run(ctx, feeds, &nn.RunOptions{Threads: m.opt.Threads})
	if err != nil {
		return nil, nil, fmt.Errorf("matte: rvm: %w", err)
	}
	p, f := out["pha"], out["fgr"]
	if p == nil || f == nil || len(p.Data) != src.w*src.h || len(f.Data) != 3*src.w*src.h {
		return nil, nil, errors.New("matte: rvm: unexpected outputs")
	}
	return &plane{src.w, src.h, 1, p.Data}, &plane{src.w, src.h, 3, f.Data}, nil
}

// The low-resolution fields the full-resolution pass samples, as the 7
// channels of one plane: the guided filter's linear model alpha ≈ a·RGB + b
// (a per colour channel on 0..255 values, then b) and the colour
// correction F̂ − B̂ for foreground estimation (0..255).
const nFields = 7

// fields computes the guided-filter coefficients with the working copy's
// colours as guide, and the foreground correction from rvm's foreground
// and a background estimated by normalised blurring of the unmatted
// pixels.
func (m *Matter) fields(src, pha, fgr *plane) *plane {
	n := src.w * src.h
	r, eps := m.opt.Radius, m.opt.Epsilon
	// Colour guide: luminance alone cannot tell skin from a light grey
	// wall of the same brightness. Statistics per pixel: I (3), p, I·p (3),
	// the 6 distinct entries of I·Iᵀ.
	st := newPlane(src.w, src.h, 13)
	for i := range n {
		q := st.pix[13*i : 13*i+13]
		cr, cg, cb := src.pix[3*i]/255, src.pix[3*i+1]/255, src.pix[3*i+2]/255
		p := pha.pix[i]
		q[0], q[1], q[2], q[3] = cr, cg, cb, p
		q[4], q[5], q[6] = cr*p, cg*p, cb*p
		q[7], q[8], q[9], q[10], q[11], q[12] = cr*cr, cr*cg, cr*cb, cg*cg, cg*cb, cb*cb
	}
	mean := st.boxBlur(r, m.opt.Threads)
	ab := newPlane(src.w, src.h, 4)
	parallel(n, m.opt.Threads, func(lo, hi int) { solveFields(mean, ab, eps, lo, hi) })
	ab = ab.boxBlur(r, m.opt.Threads)

	// Background: mean colour of the (1-alpha)-weighted pixels around each
	// point, over a window wide enough to reach past hair into clean
	// background.
	bg := newPlane(src.w, src.h, 4)
	for i := range n {
		w := 1 - pha.pix[i]
		bg.pix[4*i], bg.pix[4*i+1], bg.pix[4*i+2], bg.pix[4*i+3] = w*src.pix[3*i], w*src.pix[3*i+1], w*src.pix[3*i+2], w
	}
	bg = bg.boxBlur(max(src.w, src.h)/24, m.opt.Threads)
	out := newPlane(src.w, src.h, nFields)
	for i := range n {
		o := out.pix[nFields*i : nFields*i+nFields]
		o[0], o[1], o[2], o[3] = ab.pix[4*i]/255, ab.pix[4*i+1]/255, ab.pix[4*i+2]/255, ab.pix[4*i+3]
		w := bg.pix[4*i+3]
		for c := range 3 {
			f := fgr.pix[3*i+c] * 255
			b := f // no background nearby: no correction
			if w > 1e-3 {
				b = bg.pix[4*i+c] / w
			}
			o[4+c] = f - b
		}
	}
	return out
}

// refine produces the full-resolution result: alpha = a·RGB + b from the
// upsampled guided-filter model, and foreground F = I + (1−α)(F̂ − B̂),
// which keeps the photo's own detail where the subject is opaque and
// removes the old background's tint where it is not.
func (m *Matter) refine(read imageio.RowReader, roi image.Rectangle, src, pha, fgr *plane) *Result {
	cf := m.fields(src, pha, fgr)
	res := &Result{Alpha: image.NewGray(roi), Foreground: image.NewNRGBA(roi)}
	w, h := roi.Dx(), roi.Dy()
	sx, sy := float32(src.w)/float32(w), float32(src.h)/float32(h)
	xs := make([]axisTap, w)
	for x := range w {
		xs[x] = tap(float32(x), sx, src.w)
	}
	workers := min(m.opt.Threads, max(1, h/64))
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Go(func() {
			row := make([]float32, 3*w)
			rows := rowCache{cf: cf, xs: xs}
			for y := wk * h / workers; y < (wk+1)*h/workers; y++ {
				read(roi.Min.Y+y, roi.Min.X, roi.Max.X, row)
				ty := tap(float32(y), sy, src.h)
				refineRow(res, y, row, rows.get(ty.i0), rows.get(ty.i1), ty.f)
			}
		})
	}
	wg.Wait()
	return res
}

// rowCache holds the fields of low-resolution rows already upsampled to
// full width; consecutive output rows share them.
type rowCache struct {
	cf   *plane
	xs   []axisTap
	idx  [2]int
	rows [2][]float32
	next int
}

func (c *rowCache) get(i int) []float32 {
	for k := range 2 {
		if c.rows[k] != nil && c.idx[k] == i {
			return c.rows[k]
		}
	}
	k := c.next
	c.next = 1 - c.next
	if c.rows[k] == nil {
		c.rows[k] = make([]float32, len(c.xs)*nFields)
	}
	c.idx[k] = i
	src, dst := c.cf.pix[i*c.cf.w*nFields:], c.rows[k]
	for x, t := range c.xs {
		a, b := src[t.i0*nFields:t.i0*nFields+nFields], src[t.i1*nFields:t.i1*nFields+nFields]
		d := dst[x*nFields : x*nFields+nFields]
		for ch := range nFields {
			d[ch] = a[ch] + (b[ch]-a[ch])*t.f
		}
	}
	return dst
}

// refineRow writes output row y from the photo's row and the fields of
// the two low-resolution rows around it (weight f on r1).
func refineRow(res *Result, y int, row, r0, r1 []float32, f float32) {
	ga := res.Alpha.Pix[y*res.Alpha.Stride:]
	fg := res.Foreground.Pix[y*res.Foreground.Stride:]
	for x := range len(row) / 3 {
		p0, p1 := r0[x*nFields:x*nFields+nFields], r1[x*nFields:x*nFields+nFields]
		r, g, b := row[3*x], row[3*x+1], row[3*x+2]
		ar, ag, ab := p0[0]+(p1[0]-p0[0])*f, p0[1]+(p1[1]-p0[1])*f, p0[2]+(p1[2]-p0[2])*f
		alpha := ar*r + ag*g + ab*b + p0[3] + (p1[3]-p0[3])*f
		if alpha <= 0.5/255 {
			continue // transparent: foreground left zero
		}
		a8 := clamp8(alpha * 255)
		ga[x] = a8
		fg[4*x+3] = a8
		if k := 1 - alpha; k > 0 {
			r += k * (p0[4] + (p1[4]-p0[4])*f)
			g += k * (p0[5] + (p1[5]-p0[5])*f)
			b += k * (p0[6] + (p1[6]-p0[6])*f)
		}
		fg[4*x], fg[4*x+1], fg[4*x+2] = clamp8(r), clamp8(g), clamp8(b)
	}
}

// clamp8 rounds v to the nearest byte value, saturating.
func clamp8(v float32) uint8 {
	i := int32(v + 0.5)
	if i < 0 {
		return 0
	}
	if i > 255 {
		return 255
	}
	return uint8(i)
}

// solveFields solves the colour guided filter's 3×3 system for pixels
// [lo, hi) from the window means in mean, writing a (3) and b into ab.
func solveFields(mean, ab *plane, eps float64, lo, hi int) {
	for i := lo; i < hi; i++ {
		q := mean.pix[13*i : 13*i+13]
		mr, mg, mb, mp := float64(q[0]), float64(q[1]), float64(q[2]), float64(q[3])
		// Covariance of the guide (regularised) and its covariance with p.
		srr := float64(q[7]) - mr*mr + eps
		srg := float64(q[8]) - mr*mg
		srb := float64(q[9]) - mr*mb
		sgg := float64(q[10]) - mg*mg + eps
		sgb := float64(q[11]) - mg*mb
		sbb := float64(q[12]) - mb*mb + eps
		cr, cg, cb := float64(q[4])-mr*mp, float64(q[5])-mg*mp, float64(q[6])-mb*mp
		// Solve the symmetric 3×3 system by its adjugate.
		i00, i01, i02 := sgg*sbb-sgb*sgb, srb*sgb-srg*sbb, srg*sgb-srb*sgg
		i11, i12, i22 := srr*sbb-srb*srb, srg*srb-srr*sgb, srr*sgg-srg*srg
		det := srr*i00 + srg*i01 + srb*i02
		ar := (i00*cr + i01*cg + i02*cb) / det
		ag := (i01*cr + i11*cg + i12*cb) / det
		abl := (i02*cr + i12*cg + i22*cb) / det
		o := ab.pix[4*i : 4*i+4]
		o[0], o[1], o[2], o[3] = float32(ar), float32(ag), float32(abl), float32(mp-ar*mr-ag*mg-abl*mb)
	}
}
