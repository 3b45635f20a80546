package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// Benchmarks are named key=value so that benchstat can slice them:
// impl (go, avx2, avx512), threads, and the shape.

// reportGFLOPs reports flops per operation as GFLOP/s of wall time and,
// when the process CPU time since cpu0 is known, as GFLOP per CPU-second
// (for threads=1 the speed an unshared core would give).
func reportGFLOPs(b *testing.B, flops float64, cpu0 time.Duration) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu := processCPU() - cpu0; cpu0 > 0 && cpu > 0 {
		b.ReportMetric(flops*float64(b.N)/cpu.Seconds()/1e9, "GFLOP/cpu-s")
	}
}

func benchThreads() []int { return []int{1, 2} }

// BenchmarkPeak measures the FMA throughput of the cores (registers only,
// no memory): the ceiling the other benchmarks are compared with.
func BenchmarkPeak(b *testing.B) {
	for _, im := range impls() {
		if im.peak == nil {
			continue
		}
		for _, th := range benchThreads() {
			b.Run(fmt.Sprintf("impl=%s/threads=%d", im.name, th), func(b *testing.B) {
				const iters = 1 << 16
				cpu0 := processCPU()
				for b.Loop() {
					parallel(th, th, func(lo, hi int) {
						for range hi - lo {
							im.peak(iters)
						}
					})
				}
				reportGFLOPs(b, float64(th*iters*im.peakFlops), cpu0)
			})
		}
	}
}

// BenchmarkGEMM times a size³ product with a pre-packed right-hand side:
// a 1×1 convolution over a column of size pixels.
func BenchmarkGEMM(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, size := range []int{64, 256, 512} {
		s := conv(1, size, 1, size, 1, 1, size, 1, 1, 0)
		src, filter := randSlice(r, size*size), randSlice(r, size*size)
		dst := make([]float32, size*size)
		for _, im := range impls() {
			c := newConv2D(filter, s, Epilogue{}, im)
			for _, th := range benchThreads() {
				b.Run(fmt.Sprintf("impl=%s/threads=%d/size=%d", im.name, th, size), func(b *testing.B) {
					cpu0 := processCPU()
					for b.Loop() {
						c.Run(dst, src, th)
					}
					reportGFLOPs(b, 2*float64(size)*float64(size)*float64(size), cpu0)
				})
			}
		}
	}
}

// Shapes typical of the bundled models (MobileNet-style blocks at a
// 256×256 input, rvm's 1×1 projections at 128×128).
var benchConvs = []struct {
	name string
	s    ConvShape
}{
	{"stem3x3s2-256-c3-m16", conv(1, 256, 256, 3, 3, 3, 16, 2, 1, 1)},
	{"pw-64x64-c16-m64", conv(1, 64, 64, 16, 1, 1, 64, 1, 1, 0)},
	{"pw-64x64-c64-m24", conv(1, 64, 64, 64, 1, 1, 24, 1, 1, 0)},
	{"pw-32x32-c72-m40", conv(1, 32, 32, 72, 1, 1, 40, 1, 1, 0)},
	{"pw-16x16-c240-m80", conv(1, 16, 16, 240, 1, 1, 80, 1, 1, 0)},
	{"pw-8x8-c960-m128", conv(1, 8, 8, 960, 1, 1, 128, 1, 1, 0)},
	{"3x3-64x64-c32-m32", conv(1, 64, 64, 32, 3, 3, 32, 1, 1, 1)},
}

func BenchmarkConv2D(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, bc := range benchConvs {
		s := bc.s
		src := randSlice(r, s.N*s.H*s.W*s.C)
		filter := randSlice(r, s.KH*s.KW*s.C*s.M)
		dst := make([]float32, s.N*s.OutH*s.OutW*s.M)
		e := Epilogue{Bias: randSlice(r, s.M), Act: ActRelu}
		flops := 2 * float64(s.N*s.OutH*s.OutW*s.M*s.KH*s.KW*s.C)
		for _, im := range impls() {
			c := newConv2D(filter, s, e, im)
			for _, th := range benchThreads() {
				b.Run(fmt.Sprintf("impl=%s/threads=%d/shape=%s", im.name, th, bc.name), func(b *testing.B) {
					cpu0 := processCPU()
					for b.Loop() {
						c.Run(dst, src, th)
					}
					reportGFLOPs(b, flops, cpu0)
				})
			}
		}
	}
}

var benchDepthwise = []struct {
	name string
	s    ConvShape
}{
	{"3x3s1-128x128-c16", conv(1, 128, 128, 16, 3, 3, 1, 1, 1, 1)},
	{"3x3s2-128x128-c64", conv(1, 128, 128, 64, 3, 3, 1, 2, 1, 1)},
	{"3x3s1-64x64-c72", conv(1, 64, 64, 72, 3, 3, 1, 1, 1, 1)},
	{"5x5s2-64x64-c72", conv(1, 64, 64, 72, 5, 5, 1, 2, 1, 2)},
	{"5x5s1-16x16-c240", conv(1, 16, 16, 240, 5, 5, 1, 1, 1, 2)},
	{"3x3s1-8x8-c960", conv(1, 8, 8, 960, 3, 3, 1, 1, 1, 1)},
	// rvm's guided-filter box filters run on few channels at full size.
	{"box3x3-512x512-c4", conv(1, 512, 512, 4, 3, 3, 1, 1, 1, 1)},
}

func BenchmarkDepthwise(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, bc := range benchDepthwise {
		s := bc.s
		src := randSlice(r, s.N*s.H*s.W*s.C)
		filter := randSlice(r, s.KH*s.KW*s.C)
		dst := make([]float32, s.N*s.OutH*s.OutW*s.C)
		e := Epilogue{Bias: randSlice(r, s.C), Act: ActRelu6}
		flops := 2 * float64(s.N*s.OutH*s.OutW*s.C*s.KH*s.KW)
		for _, im := range impls() {
			d := newDepthwise(filter, s, e, im)
			for _, th := range benchThreads() {
				b.Run(fmt.Sprintf("impl=%s/threads=%d/shape=%s", im.name, th, bc.name), func(b *testing.B) {
					cpu0 := processCPU()
					for b.Loop() {
						d.Run(dst, src, th)
					}
					reportGFLOPs(b, flops, cpu0)
				})
			}
		}
	}
}

func BenchmarkConvTranspose(b *testing.B) {
	r := rand.New(rand.NewPCG(4, 4))
	// The segmentation models' last layer: 2×2 stride-2 up-sampling to two
	// channels.
	s := ConvShape{N: 1, H: 72, W: 128, C: 16, KH: 2, KW: 2, M: 2, StrideH: 2, StrideW: 2,
		DilationH: 1, DilationW: 1, OutH: 144, OutW: 256}
	src := randSlice(r, s.H*s.W*s.C)
	filter := randSlice(r, s.KH*s.KW*s.M*s.C)
	dst := make([]float32, s.OutH*s.OutW*s.M)
	flops := 2 * float64(s.H*s.W*s.C*s.KH*s.KW*s.M)
	for _, im := range impls() {
		t := newConvTranspose(filter, s, Epilogue{Bias: randSlice(r, s.M)}, im)
		for _, th := range benchThreads() {
			b.Run(fmt.Sprintf("impl=%s/threads=%d/shape=2x2s2-72x128-c16-m2", im.name, th), func(b *testing.B) {
				cpu0 := processCPU()
				for b.Loop() {
					t.Run(dst, src, th)
				}
				reportGFLOPs(b, flops, cpu0)
			})
		}
	}
}

// BenchmarkEpilogue times the activations applied after the GEMM store
// (those not fused as a clamp), on a row of random signs; impl=go is the
// portable loop (a branch per value, what every build used before) and
// impl=math the float64 math package, kept as baselines for impl=best.
func BenchmarkEpilogue(b *testing.B) {
	const n = 4096
	r := rand.New(rand.NewPCG(1, 2))
	src := randSlice(r, n)
	row := make([]float32, n)
	e := Epilogue{Act: ActPrelu, PreluAlpha: randSlice(r, n), Alpha: 0.2}
	tanhRow, sigmoidRow := Epilogue{Act: ActTanh}, Epilogue{Act: ActSigmoid}
	for _, c := range []struct {
		name string
		fn   func([]float32)
	}{
		{"impl=go/act=prelu", func(row []float32) { preluRowGo(row, e.PreluAlpha) }},
		{"impl=best/act=prelu", func(row []float32) { e.rowAct(row, 0) }},
		{"impl=math/act=tanh", func(row []float32) {
			for i, v := range row {
				row[i] = float32(math.Tanh(float64(v)))
			}
		}},
		{"impl=best/act=tanh", func(row []float32) { tanhRow.rowAct(row, 0) }},
		{"impl=math/act=sigmoid", func(row []float32) {
			for i, v := range row {
				row[i] = float32(1 / (1 + math.Exp(-float64(v))))
			}
		}},
		{"impl=best/act=sigmoid", func(row []float32) { sigmoidRow.rowAct(row, 0) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(n * 4)
			for b.Loop() {
				copy(row, src)
				c.fn(row)
			}
		})
	}
}
