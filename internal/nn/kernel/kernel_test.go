package kernel

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// closeTo reports the first element where got and want differ by more
// than 1e-5 relative to the element or, for results near zero, to the
// tensor's RMS (sums of products cancel, so elements can be tiny).
func closeTo(got, want []float32) error {
	if len(got) != len(want) {
		return fmt.Errorf("len %d, want %d", len(got), len(want))
	}
	var ss float64
	for _, v := range want {
		ss += float64(v) * float64(v)
	}
	rms := math.Sqrt(ss / float64(max(len(want), 1)))
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) || math.Abs(g-w) > 1e-5*math.Max(math.Abs(w), rms) {
			return fmt.Errorf("element %d = %g, want %g (rms %g)", i, g, w, rms)
		}
	}
	return nil
}

func firstDiff(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// conv builds a ConvShape with symmetric padding pad.
func conv(n, h, w, c, kh, kw, m, stride, dil, pad int) ConvShape {
	return convAsym(n, h, w, c, kh, kw, m, stride, stride, dil, dil, pad, pad, pad, pad)
}

func convAsym(n, h, w, c, kh, kw, m, sh, sw, dh, dw, pt, pb, pl, pr int) ConvShape {
	return ConvShape{
		N: n, H: h, W: w, C: c, KH: kh, KW: kw, M: m,
		StrideH: sh, StrideW: sw, DilationH: dh, DilationW: dw, PadTop: pt, PadLeft: pl,
		OutH: (h+pt+pb-dh*(kh-1)-1)/sh + 1,
		OutW: (w+pl+pr-dw*(kw-1)-1)/sw + 1,
	}
}

func epilogue(r *rand.Rand, act Activation, outC int, bias bool) Epilogue {
	e := Epilogue{Act: act, Alpha: 0.2}
	if bias {
		e.Bias = randSlice(r, outC)
	}
	if act == ActPrelu {
		e.PreluAlpha = randSlice(r, outC)
	}
	return e
}

var allActs = []Activation{ActNone, ActRelu, ActRelu6, ActLeakyRelu, ActPrelu, ActSigmoid, ActTanh, ActElu}

var convCases = []struct {
	name string
	s    ConvShape
}{
	{"pointwise-16x16-c32-m64", conv(1, 16, 16, 32, 1, 1, 64, 1, 1, 0)},
	{"pointwise-odd-7x5-c13-m19", conv(1, 7, 5, 13, 1, 1, 19, 1, 1, 0)},
	{"pointwise-batch3-c8-m16", conv(3, 5, 3, 8, 1, 1, 16, 1, 1, 0)},
	{"pointwise-tiny-1x1-c3-m5", conv(1, 1, 1, 3, 1, 1, 5, 1, 1, 0)},
	{"pointwise-stride2", conv(1, 9, 9, 24, 1, 1, 40, 2, 1, 0)},
	{"3x3-same-c3-m16-stride2", conv(1, 17, 15, 3, 3, 3, 16, 2, 1, 1)},
	{"3x3-same-c16-m24", conv(2, 10, 11, 16, 3, 3, 24, 1, 1, 1)},
	{"3x3-valid-c20-m33", conv(1, 9, 8, 20, 3, 3, 33, 1, 1, 0)},
	{"3x3-dilated2-c8-m8", conv(1, 12, 12, 8, 3, 3, 8, 1, 2, 2)},
	{"5x5-same-c7-m17", conv(1, 11, 9, 7, 5, 5, 17, 1, 1, 2)},
	{"2x2-stride2-c12-m20", conv(1, 8, 8, 12, 2, 2, 20, 2, 1, 0)},
	{"3x3-stride3-c9-m32", conv(1, 12, 12, 9, 3, 3, 32, 3, 1, 0)},
	{"asym-pad-stride-mix", convAsym(2, 7, 10, 5, 3, 2, 18, 2, 1, 1, 2, 0, 1, 1, 1)},
	{"big-k-3x3-c64-m48", conv(1, 6, 7, 64, 3, 3, 48, 1, 1, 1)},
	// Rows wide enough for whole interior blocks of 12 pixels, which read
	// the image in place instead of through im2col.
	{"wide-3x3-s1-c5-m20", conv(1, 5, 30, 5, 3, 3, 20, 1, 1, 1)},
	{"wide-stem-3x3-s2-c3-m16", conv(2, 9, 60, 3, 3, 3, 16, 2, 1, 1)},
	{"wide-5x5-s1-c4-m40", conv(1, 7, 28, 4, 5, 5, 40, 1, 1, 2)},
	{"wide-dilated-rows-c6-m12", convAsym(1, 9, 30, 6, 3, 3, 12, 1, 1, 2, 1, 2, 2, 1, 1)},
	{"wide-3x3-s2-c24-m64", conv(1, 8, 50, 24, 3, 3, 64, 2, 1, 1)},
}

func TestConv2DMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range convCases {
		for ai, act := range allActs {
			s := tc.s
			src := randSlice(r, s.N*s.H*s.W*s.C)
			filter := randSlice(r, s.KH*s.KW*s.C*s.M)
			e := epilogue(r, act, s.M, ai%3 != 2)
			want := make([]float32, s.N*s.OutH*s.OutW*s.M)
			refConv2D(want, src, filter, s, &e)
			for _, im := range impls() {
				c := newConv2D(filter, s, e, im)
				var single []float32
				for _, threads := range []int{1, 2, 3} {
					got := make([]float32, len(want))
					c.Run(got, src, threads)
					if err := closeTo(got, want); err != nil {
						t.Errorf("%s act=%v impl=%s threads=%d: %v", tc.name, act, im.name, threads, err)
					}
					// Splitting work must not change any result bit.
					if threads == 1 {
						single = got
					} else if i := firstDiff(got, single); i >= 0 {
						t.Errorf("%s act=%v impl=%s: threads=%d differs from threads=1 at %d", tc.name, act, im.name, threads, i)
					}
				}
			}
		}
	}
}

func TestConv2DRejectsBadShapes(t *testing.T) {
	s := conv(1, 4, 4, 3, 3, 3, 8, 1, 1, 1)
	filter := make([]float32, 3*3*3*8)
	if _, err := NewConv2D(filter, s, Epilogue{}); err != nil {
		t.Fatalf("valid shape rejected: %v", err)
	}
	if _, err := NewConv2D(filter[:10], s, Epilogue{}); err == nil {
		t.Error("short filter accepted")
	}
	if _, err := NewConv2D(filter, s, Epilogue{Bias: make([]float32, 3)}); err == nil {
		t.Error("short bias accepted")
	}
	if _, err := NewConv2D(filter, s, Epilogue{Act: ActPrelu}); err == nil {
		t.Error("prelu without alpha accepted")
	}
	bad := s
	bad.StrideH = 0
	if _, err := NewConv2D(filter, bad, Epilogue{}); err == nil {
		t.Error("zero stride accepted")
	}
}

func TestConstructorsRejectMismatchedWeights(t *testing.T) {
	s := conv(1, 4, 4, 3, 3, 3, 2, 1, 1, 1)
	good := make([]float32, 3*3*3*2)
	for _, tc := range []struct {
		name string
		make func(filter []float32, e Epilogue) error
		outC int
	}{
		{"depthwise", func(f []float32, e Epilogue) error { _, err := NewDepthwise(f, s, e); return err }, 6},
		{"transpose", func(f []float32, e Epilogue) error { _, err := NewConvTranspose(f, s, e); return err }, 2},
		{"packed matmul", func(f []float32, e Epilogue) error { _, err := NewPackedMatMul(f, 27, 2, false, e); return err }, 2},
	} {
		if err := tc.make(good, Epilogue{Bias: make([]float32, tc.outC)}); err != nil {
			t.Errorf("%s: valid weights rejected: %v", tc.name, err)
		}
		if err := tc.make(good[:7], Epilogue{}); !errors.Is(err, ErrShape) {
			t.Errorf("%s: short filter: err = %v, want ErrShape", tc.name, err)
		}
		if err := tc.make(good, Epilogue{Bias: make([]float32, tc.outC+1)}); !errors.Is(err, ErrShape) {
			t.Errorf("%s: long bias: err = %v, want ErrShape", tc.name, err)
		}
	}
}

var dwCases = []struct {
	name string
	s    ConvShape
}{
	{"3x3-s1-c32", conv(1, 12, 13, 32, 3, 3, 1, 1, 1, 1)},
	{"3x3-s2-c24", conv(1, 13, 12, 24, 3, 3, 1, 2, 1, 1)},
	{"3x3-s1-valid-c40", conv(1, 9, 10, 40, 3, 3, 1, 1, 1, 0)},
	{"3x3-odd-c13", conv(2, 7, 6, 13, 3, 3, 1, 1, 1, 1)},
	{"3x3-c3-s2", conv(1, 9, 9, 3, 3, 3, 1, 2, 1, 1)},
	{"5x5-s1-c72", conv(1, 11, 11, 72, 5, 5, 1, 1, 1, 2)},
	{"5x5-s1-wide-c24", conv(1, 6, 21, 24, 5, 5, 1, 1, 1, 2)},
	{"3x3-s1-wide-c8", conv(1, 4, 30, 8, 3, 3, 1, 1, 1, 1)},
	{"box-3x3-valid-wide-c4", conv(1, 6, 40, 4, 3, 3, 1, 1, 1, 0)},
	{"5x5-s2-wide-c3", conv(1, 9, 41, 3, 5, 5, 1, 2, 1, 2)},
	{"5x5-s2-c120", conv(1, 14, 15, 120, 5, 5, 1, 2, 1, 2)},
	{"3x3-dilated-c16", conv(1, 12, 12, 16, 3, 3, 1, 1, 2, 2)},
	{"3x3-tiny-2x2-c64", conv(1, 2, 2, 64, 3, 3, 1, 1, 1, 1)},
	{"asym-pad-s2", convAsym(1, 8, 9, 48, 3, 3, 1, 2, 2, 1, 1, 0, 1, 0, 1)},
	{"huge-pad", conv(1, 3, 3, 8, 3, 3, 1, 1, 1, 3)},
	{"multiplier-2", conv(1, 6, 7, 5, 3, 3, 2, 1, 1, 1)},
	{"large-enough-to-split-c40", conv(2, 40, 33, 40, 3, 3, 1, 1, 1, 1)},
	{"multiplier-3-s2", conv(2, 7, 7, 4, 5, 5, 3, 2, 1, 2)},
}

func TestDepthwiseMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range dwCases {
		for ai, act := range allActs {
			s := tc.s
			oc := s.C * s.M
			src := randSlice(r, s.N*s.H*s.W*s.C)
			filter := randSlice(r, s.KH*s.KW*oc)
			e := epilogue(r, act, oc, ai%3 != 2)
			want := make([]float32, s.N*s.OutH*s.OutW*oc)
			refDepthwise(want, src, filter, s, &e)
			for _, im := range impls() {
				d := newDepthwise(filter, s, e, im)
				var single []float32
				for _, threads := range []int{1, 2, 3} {
					got := make([]float32, len(want))
					d.Run(got, src, threads)
					if err := closeTo(got, want); err != nil {
						t.Errorf("%s act=%v impl=%s threads=%d: %v", tc.name, act, im.name, threads, err)
					}
					// Splitting work must not change any result bit.
					if threads == 1 {
						single = got
					} else if i := firstDiff(got, single); i >= 0 {
						t.Errorf("%s act=%v impl=%s: threads=%d differs from threads=1 at %d", tc.name, act, im.name, threads, i)
					}
				}
			}
		}
	}
}

var transposeCases = []struct {
	name string
	s    ConvShape // H,W,C: input; OutH,OutW,M: output
}{
	{"2x2-s2-c16-m2", ConvShape{N: 1, H: 9, W: 16, C: 16, KH: 2, KW: 2, M: 2, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1, OutH: 18, OutW: 32}},
	{"3x3-s2-same-c8-m5", ConvShape{N: 2, H: 5, W: 6, C: 8, KH: 3, KW: 3, M: 5, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1, PadTop: 0, PadLeft: 0, OutH: 10, OutW: 12}},
	{"4x4-s2-pad1-c7-m17", ConvShape{N: 1, H: 4, W: 5, C: 7, KH: 4, KW: 4, M: 17, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1, PadTop: 1, PadLeft: 1, OutH: 8, OutW: 10}},
	{"3x3-s1-pad1", ConvShape{N: 1, H: 6, W: 6, C: 12, KH: 3, KW: 3, M: 6, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, PadTop: 1, PadLeft: 1, OutH: 6, OutW: 6}},
	{"large-enough-to-split", ConvShape{N: 1, H: 36, W: 64, C: 16, KH: 2, KW: 2, M: 2, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1, OutH: 72, OutW: 128}},
	{"3x3-dil2", ConvShape{N: 1, H: 5, W: 5, C: 4, KH: 3, KW: 3, M: 3, StrideH: 1, StrideW: 1, DilationH: 2, DilationW: 2, PadTop: 2, PadLeft: 2, OutH: 5, OutW: 5}},
}

func TestConvTransposeMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range transposeCases {
		for ai, act := range allActs {
			s := tc.s
			src := randSlice(r, s.N*s.H*s.W*s.C)
			filter := randSlice(r, s.KH*s.KW*s.M*s.C)
			e := epilogue(r, act, s.M, ai%3 != 2)
			want := make([]float32, s.N*s.OutH*s.OutW*s.M)
			refConvTranspose(want, src, filter, s, &e)
			for _, im := range impls() {
				ct := newConvTranspose(filter, s, e, im)
				var single []float32
				for _, threads := range []int{1, 2, 3} {
					got := make([]float32, len(want))
					ct.Run(got, src, threads)
					if err := closeTo(got, want); err != nil {
						t.Errorf("%s act=%v impl=%s threads=%d: %v", tc.name, act, im.name, threads, err)
					}
					// Splitting work must not change any result bit.
					if threads == 1 {
						single = got
					} else if i := firstDiff(got, single); i >= 0 {
						t.Errorf("%s act=%v impl=%s: threads=%d differs from threads=1 at %d", tc.name, act, im.name, threads, i)
					}
				}
			}
		}
	}
}

// TestConvTransposeIsAdjointOfConv checks the transposed convolution
// against its definition as the adjoint of Conv2D: <conv(x), y> = <x, convT(y)>.
func TestConvTransposeIsAdjointOfConv(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	fwd := conv(1, 8, 7, 5, 3, 3, 6, 2, 1, 1) // x: 8×7×5 → y: OutH×OutW×6
	filter := randSlice(r, 3*3*5*6)           // [KH,KW,C=5,M=6]
	x := randSlice(r, 8*7*5)
	y := randSlice(r, fwd.OutH*fwd.OutW*6)
	cx := make([]float32, len(y))
	c, err := NewConv2D(filter, fwd, Epilogue{})
	if err != nil {
		t.Fatal(err)
	}
	c.Run(cx, x, 1)
	// The transposed shape: input y (C=6), output x (M=5); the filter
	// [KH,KW,5,6] is [KH,KW,M(out),C(in)].
	ts := ConvShape{N: 1, H: fwd.OutH, W: fwd.OutW, C: 6, KH: 3, KW: 3, M: 5,
		StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1, PadTop: 1, PadLeft: 1, OutH: 8, OutW: 7}
	ct, err := NewConvTranspose(filter, ts, Epilogue{})
	if err != nil {
		t.Fatal(err)
	}
	ty := make([]float32, len(x))
	ct.Run(ty, y, 1)
	var lhs, rhs float64
	for i := range y {
		lhs += float64(cx[i]) * float64(y[i])
	}
	for i := range x {
		rhs += float64(x[i]) * float64(ty[i])
	}
	if math.Abs(lhs-rhs) > 1e-4*math.Abs(lhs) {
		t.Errorf("<conv x, y> = %g, <x, convT y> = %g", lhs, rhs)
	}
}

func TestMatMulMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, sz := range [][3]int{{1, 1, 1}, {5, 7, 3}, {6, 16, 8}, {12, 16, 1}, {13, 33, 17}, {64, 48, 100}, {3, 1024, 64}, {100, 5, 0}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			a, b := randSlice(r, m*k), randSlice(r, k*n)
			want := make([]float32, m*n)
			refMatMul(want, a, b, m, n, k, tr[0], tr[1])
			for _, im := range impls() {
				for _, threads := range []int{1, 2} {
					got := make([]float32, m*n)
					for i := range got {
						got[i] = float32(math.NaN())
					}
					matMul(im, got, a, b, m, n, k, tr[0], tr[1], threads)
					if err := closeTo(got, want); err != nil {
						t.Errorf("m=%d n=%d k=%d trans=%v impl=%s threads=%d: %v", m, n, k, tr, im.name, threads, err)
					}
				}
			}
		}
	}
	got := make([]float32, 4)
	MatMul(got, []float32{1, 2, 3, 4}, []float32{5, 6, 7, 8}, 2, 2, 2, false, false, 1)
	if want := []float32{19, 22, 43, 50}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("MatMul 2×2 = %v, want %v", got, want)
	}
}

func TestParallelVisitsEveryIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 64, 1000} {
		for _, threads := range []int{0, 1, 2, 3, 8} {
			seen := make([]int32, n)
			parallel(threads, n, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					seen[i]++ // chunks are disjoint, so no two workers share an element
				}
			})
			for i, v := range seen {
				if v != 1 {
					t.Fatalf("n=%d threads=%d: index %d visited %d times", n, threads, i, v)
				}
			}
		}
	}
}

func TestPackedMatMulMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, sz := range [][3]int{{1, 3, 5}, {7, 24, 9}, {12, 40, 33}, {50, 17, 64}, {4, 6, 0}} {
		m, n, k := sz[0], sz[1], sz[2]
		for ai, act := range allActs {
			transA, transB := ai%2 == 1, ai%3 == 1
			a, b := randSlice(r, m*k), randSlice(r, k*n)
			e := epilogue(r, act, n, ai%4 != 3)
			want := make([]float32, m*n)
			refMatMul(want, a, b, m, n, k, transA, transB)
			for i := range want {
				want[i] = e.one(want[i], i%n)
			}
			for _, im := range impls() {
				p := newPackedMatMul(im, b, k, n, transB, e)
				for _, threads := range []int{1, 2} {
					got := make([]float32, m*n)
					p.Run(got, a, m, transA, threads)
					if err := closeTo(got, want); err != nil {
						t.Errorf("m=%d n=%d k=%d act=%v impl=%s threads=%d: %v", m, n, k, act, im.name, threads, err)
					}
				}
			}
		}
	}
	if _, err := NewPackedMatMul(make([]float32, 5), 2, 3, false, Epilogue{}); err == nil {
		t.Error("5 elements accepted as a 2×3 matrix")
	}
}

func TestTaps(t *testing.T) {
	for _, tc := range []struct {
		o, stride, dil, pad, k, size, k0, k1 int
	}{
		{0, 1, 1, 1, 3, 5, 1, 3},
		{4, 1, 1, 1, 3, 5, 0, 2},
		{2, 1, 1, 1, 3, 5, 0, 3},
		{0, 1, 2, 2, 3, 3, 1, 3},
		{0, 1, 2, 2, 3, 2, 1, 2},
		{0, 1, 1, 5, 3, 3, 3, 3},
		{3, 2, 1, 0, 3, 7, 0, 1},
	} {
		k0, k1 := taps(tc.o, tc.stride, tc.dil, tc.pad, tc.k, tc.size)
		if k0 != tc.k0 || k1 != tc.k1 {
			t.Errorf("taps(%+v) = %d,%d", tc, k0, k1)
		}
	}
}

func TestRunDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops buffers at random under the race detector")
	}
	r := rand.New(rand.NewPCG(11, 12))
	s := conv(1, 10, 10, 16, 3, 3, 24, 1, 1, 1)
	src := randSlice(r, 10*10*16)
	c, _ := NewConv2D(randSlice(r, 3*3*16*24), s, Epilogue{Act: ActRelu6})
	d, _ := NewDepthwise(randSlice(r, 3*3*16), conv(1, 10, 10, 16, 3, 3, 1, 1, 1, 1), Epilogue{Act: ActRelu})
	ts := ConvShape{N: 1, H: 10, W: 10, C: 16, KH: 2, KW: 2, M: 3, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1, OutH: 20, OutW: 20}
	ct, _ := NewConvTranspose(randSlice(r, 2*2*3*16), ts, Epilogue{})
	dst := make([]float32, 20*20*24)
	for name, run := range map[string]func(){
		"conv2d":    func() { c.Run(dst, src, 1) },
		"depthwise": func() { d.Run(dst, src, 1) },
		"transpose": func() { ct.Run(dst, src, 1) },
	} {
		run()
		if n := testing.AllocsPerRun(20, run); n > 0 {
			t.Errorf("%s: %v allocations per Run", name, n)
		}
	}
}

// TestRandomShapesMatchReference sweeps many small random shapes (a fixed
// seed keeps failures reproducible) to reach edge combinations the tables
// above do not list.
func TestRandomShapesMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for i := 0; i < 150; i++ {
		k := 1 + r.IntN(5)
		stride, dil := 1+r.IntN(3), 1+r.IntN(2)
		pad := r.IntN(k*dil + 1)
		h, w := 1+r.IntN(12), 1+r.IntN(20)
		if (h+2*pad-dil*(k-1)-1) < 0 || (w+2*pad-dil*(k-1)-1) < 0 {
			continue
		}
		n, c, m := 1+r.IntN(2), 1+r.IntN(40), 1+r.IntN(40)
		act := allActs[r.IntN(len(allActs))]
		s := conv(n, h, w, c, k, k, m, stride, dil, pad)
		name := fmt.Sprintf("%+v act=%v", s, act)
		src := randSlice(r, n*h*w*c)

		filter := randSlice(r, k*k*c*m)
		e := epilogue(r, act, m, r.IntN(2) == 0)
		want := make([]float32, n*s.OutH*s.OutW*m)
		refConv2D(want, src, filter, s, &e)
		for _, im := range impls() {
			got := make([]float32, len(want))
			newConv2D(filter, s, e, im).Run(got, src, 1+r.IntN(3))
			if err := closeTo(got, want); err != nil {
				t.Errorf("conv2d %s impl=%s: %v", name, im.name, err)
			}
		}

		ds := s
		ds.M = 1 + r.IntN(2)*r.IntN(3) // mostly multiplier 1
		dfilter := randSlice(r, k*k*c*ds.M)
		de := epilogue(r, act, c*ds.M, r.IntN(2) == 0)
		dwant := make([]float32, n*s.OutH*s.OutW*c*ds.M)
		refDepthwise(dwant, src, dfilter, ds, &de)
		for _, im := range impls() {
			got := make([]float32, len(dwant))
			newDepthwise(dfilter, ds, de, im).Run(got, src, 1+r.IntN(3))
			if err := closeTo(got, dwant); err != nil {
				t.Errorf("depthwise %s impl=%s: %v", name, im.name, err)
			}
		}

		// The transposed convolution of the same geometry maps the
		// convolution's output shape back to its input shape.
		ts := s
		ts.H, ts.W, ts.C, ts.OutH, ts.OutW, ts.M = s.OutH, s.OutW, m, h, w, c
		tsrc := randSlice(r, n*ts.H*ts.W*ts.C)
		te := epilogue(r, act, c, r.IntN(2) == 0)
		twant := make([]float32, n*h*w*c)
		refConvTranspose(twant, tsrc, filter, ts, &te)
		for _, im := range impls() {
			got := make([]float32, len(twant))
			newConvTranspose(filter, ts, te, im).Run(got, tsrc, 1+r.IntN(3))
			if err := closeTo(got, twant); err != nil {
				t.Errorf("transpose %s impl=%s: %v", name, im.name, err)
			}
		}
	}
}

// TestRunIsSafeConcurrently shares one kernel value between goroutines:
// the pooled scratch must never be handed to two calls at once.
func TestRunIsSafeConcurrently(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	s := conv(1, 13, 29, 7, 3, 3, 20, 1, 1, 1)
	src := randSlice(r, s.H*s.W*s.C)
	c, err := NewConv2D(randSlice(r, 3*3*7*20), s, Epilogue{Act: ActRelu})
	if err != nil {
		t.Fatal(err)
	}
	ds := conv(1, 13, 29, 7, 3, 3, 1, 1, 1, 1)
	d, err := NewDepthwise(randSlice(r, 3*3*7), ds, Epilogue{})
	if err != nil {
		t.Fatal(err)
	}
	ts := ConvShape{N: 1, H: 13, W: 29, C: 7, KH: 2, KW: 2, M: 3, StrideH: 2, StrideW: 2,
		DilationH: 1, DilationW: 1, OutH: 26, OutW: 58}
	ct, err := NewConvTranspose(randSlice(r, 2*2*3*7), ts, Epilogue{})
	if err != nil {
		t.Fatal(err)
	}
	runs := map[string]struct {
		n   int
		run func(dst []float32, threads int)
	}{
		"conv2d":    {s.OutH * s.OutW * 20, func(dst []float32, th int) { c.Run(dst, src, th) }},
		"depthwise": {ds.OutH * ds.OutW * 7, func(dst []float32, th int) { d.Run(dst, src, th) }},
		"transpose": {26 * 58 * 3, func(dst []float32, th int) { ct.Run(dst, src, th) }},
	}
	for name, k := range runs {
		want := make([]float32, k.n)
		k.run(want, 1)
		errs := make(chan string, 8)
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got := make([]float32, k.n)
				for i := 0; i < 20; i++ {
					clear(got)
					k.run(got, 1+(g+i)%3)
					if j := firstDiff(got, want); j >= 0 {
						errs <- fmt.Sprintf("%s: goroutine %d run %d differs at %d", name, g, i, j)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	}
}

// TestRowActMatchesDefinition checks the vector and branch-free activation
// rows (PReLU, leaky ReLU) against Epilogue.act, at lengths with and without
// a tail past whole vectors, and with an offset channel.
func TestRowActMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, act := range []Activation{ActPrelu, ActLeakyRelu} {
		for _, n := range []int{1, 7, 8, 9, 16, 31, 64, 100} {
			t.Run(fmt.Sprintf("%s/n=%d", act, n), func(t *testing.T) {
				e := Epilogue{Act: act, Alpha: 0.3, PreluAlpha: randSlice(r, n+5)}
				row := randSlice(r, n)
				row[0] = float32(math.Inf(-1))
				want := make([]float32, n)
				for i, v := range row {
					want[i] = e.act(v, 5+i)
				}
				e.rowAct(row, 5)
				for i := range want {
					if row[i] != want[i] {
						t.Fatalf("element %d = %g, want %g", i, row[i], want[i])
					}
				}
			})
		}
	}
}

// TestConv2DReshapeMatchesFreshPacking runs a convolution reshaped to other
// input sizes (sharing the packed filter) against the reference for each
// size, and checks that a different filter size is refused.
func TestConv2DReshapeMatchesFreshPacking(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	first := conv(1, 6, 6, 5, 3, 3, 20, 1, 1, 1)
	filter := randSlice(r, 3*3*5*20)
	e := epilogue(r, ActPrelu, 20, true)
	c, err := NewConv2D(filter, first, e)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []ConvShape{conv(1, 9, 30, 5, 3, 3, 20, 1, 1, 1), conv(2, 4, 7, 5, 3, 3, 20, 2, 1, 1)} {
		k, err := c.Reshape(s)
		if err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
		src := randSlice(r, s.N*s.H*s.W*s.C)
		want := make([]float32, s.N*s.OutH*s.OutW*s.M)
		refConv2D(want, src, filter, s, &e)
		got := make([]float32, len(want))
		k.Run(got, src, 2)
		if err := closeTo(got, want); err != nil {
			t.Errorf("%dx%d: %v", s.H, s.W, err)
		}
	}
	if _, err := c.Reshape(conv(1, 6, 6, 5, 3, 3, 16, 1, 1, 1)); !errors.Is(err, ErrShape) {
		t.Errorf("reshape to 16 output channels: err = %v, want ErrShape", err)
	}
}

// TestFloat32Activations compares the float32 sigmoid and tanh, scalar and
// vector rows (whose length leaves a tail), with the float64 math package
// over the whole useful range, including both sides of tanh's switch-over
// point and saturation.
func TestFloat32Activations(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	xs := []float32{0, float32(math.Copysign(0, -1)), 0.2, -0.2, 0.19999, 9, -9, 30, -30, 87, -87, 100, -100, 1e-8, -1e-8}
	for range 200000 {
		xs = append(xs, (r.Float32()*2-1)*20)
	}
	sig, th := slices.Clone(xs), slices.Clone(xs)
	sigmoidRow(sig)
	tanhRow(th)
	for i, x := range xs {
		wantSig, wantTanh := 1/(1+math.Exp(-float64(x))), math.Tanh(float64(x))
		for _, c := range []struct {
			name string
			got  float32
			want float64
		}{
			{"sigmoidf", sigmoidf(x), wantSig},
			{"tanhf", tanhf(x), wantTanh},
			{"sigmoidRow", sig[i], wantSig},
			{"tanhRow", th[i], wantTanh},
		} {
			if d := math.Abs(float64(c.got) - c.want); d > 1e-6*math.Abs(c.want) && d > 1e-7 {
				t.Fatalf("%s(%g) = %g, want %g", c.name, x, c.got, c.want)
			}
		}
	}
}

// TestElementwiseMatchesGo checks the vector element-wise loops against
// plain Go, at lengths with and without a tail.
func TestElementwiseMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	inf := float32(math.Inf(1))
	for _, n := range []int{0, 1, 7, 8, 9, 33, 1000} {
		a, b := randSlice(r, n+3), randSlice(r, n+3)
		for _, c := range []struct {
			name string
			run  func(dst []float32)
			want func(i int) float32
		}{
			{"add", func(d []float32) { Add(d, a, b) }, func(i int) float32 { return a[i] + b[i] }},
			{"sub", func(d []float32) { Sub(d, a, b) }, func(i int) float32 { return a[i] - b[i] }},
			{"mul", func(d []float32) { Mul(d, a, b) }, func(i int) float32 { return a[i] * b[i] }},
			{"lerp", func(d []float32) { Lerp(d, a, b, 0.3) }, func(i int) float32 { return a[i] + (b[i]-a[i])*0.3 }},
			{"relu", func(d []float32) { Clamp(d, a, 0, inf) }, func(i int) float32 { return max(a[i], 0) }},
			{"relu6", func(d []float32) { Clamp(d, slices.Clone(a), 0, 0.5) }, func(i int) float32 { return min(max(a[i], 0), 0.5) }},
		} {
			dst := make([]float32, n)
			c.run(dst)
			for i := range dst {
				if dst[i] != c.want(i) {
					t.Fatalf("%s n=%d: element %d = %g, want %g", c.name, n, i, dst[i], c.want(i))
				}
			}
		}
	}
}

// TestKernelsRestoreFloatMode runs the GEMM kernels (which flush denormals
// while they run) on denormal inputs and then checks that ordinary Go
// arithmetic on this thread still produces denormals.
func TestKernelsRestoreFloatMode(t *testing.T) {
	runtime.LockOSThread() // the float mode is per thread
	defer runtime.UnlockOSThread()
	s := conv(1, 4, 16, 8, 1, 1, 32, 1, 1, 0)
	src := make([]float32, s.N*s.H*s.W*s.C)
	for i := range src {
		src[i] = 1e-39
	}
	filter := make([]float32, s.C*s.M)
	for i := range filter {
		filter[i] = 1
	}
	for _, im := range impls() {
		dst := make([]float32, s.N*s.OutH*s.OutW*s.M)
		newConv2D(filter, s, Epilogue{}, im).Run(dst, src, 1)
		if dst[0] > 8e-39*1.001 {
			t.Errorf("impl=%s: sum of 8 denormals = %g, want at most 8e-39", im.name, dst[0])
		}
		tiny := src[0]
		if half := tiny / 2; half == 0 {
			t.Fatalf("impl=%s: denormal arithmetic flushes to zero after the kernel ran", im.name)
		}
	}
	Mul(src, src, src) // the element-wise loops switch the mode too
	if tiny := src[1] + 1e-39; tiny/2 == 0 {
		t.Fatal("denormal arithmetic flushes to zero after Mul ran")
	}
}
