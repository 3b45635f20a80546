// Package kernel holds the compute-heavy float32 kernels of the neural-network
// runtime: convolutions, depthwise and transposed convolutions and matrix
// multiply over NHWC tensors, each with a plain-Go reference twin.
//
// The package knows only []float32 and shapes; graphs, model files and
// buffer planning live in the runtime above it. Constructors validate the
// shape and pack the filter once (at plan time) so that Run only does
// arithmetic: convolutions become GEMMs against 16-column filter panels (1×1
// convolutions read the input in place, larger ones go through a per-worker
// im2col block), with bias and activation fused into the store. Activations
// that are not a clamp (PReLU, sigmoid, tanh) run as a branch-free vector
// pass over each stored row, in float32.
//
// Denormals: the amd64 GEMM and element-wise loops treat denormal inputs and
// results as zero while they run (the thread's float mode is restored before
// they return). Recurrent state decays into denormals, and each one would
// cost a microcode assist; the values they stand for are below 1.2e-38.
//
// Threads: threads ≤ 1 runs on the calling goroutine; more starts that many
// goroutines for the call only (no pool outlives it), and small jobs use
// fewer. Results do not depend on the number of threads.
//
// Concurrency and memory: every Run may be called from many goroutines at
// once. Scratch space comes from a sync.Pool held by each kernel value, so
// once warm, Run allocates nothing with threads ≤ 1 and only the goroutines'
// bookkeeping otherwise. MatMul packs its right-hand side on every call;
// PackedMatMul packs it once.
//
// On amd64 the inner loops are AVX2+FMA assembly, with AVX-512 tiles when
// the CPU has them, chosen at run time with golang.org/x/sys/cpu. Build with
// the tag kernel_pure_go to force the portable Go code, which is also what
// other architectures run.
package kernel

import (
	"errors"
	"fmt"
)

// Activation is fused after the bias add.
type Activation int

// Activations understood by Epilogue.
const (
	ActNone Activation = iota
	ActRelu
	ActRelu6
	ActLeakyRelu // uses Epilogue.Alpha
	ActPrelu     // uses Epilogue.PreluAlpha (per output channel)
	ActSigmoid
	ActTanh
	ActElu
)

func (a Activation) String() string {
	switch a {
	case ActNone:
		return "none"
	case ActRelu:
		return "relu"
	case ActRelu6:
		return "relu6"
	case ActLeakyRelu:
		return "leakyrelu"
	case ActPrelu:
		return "prelu"
	case ActSigmoid:
		return "sigmoid"
	case ActTanh:
		return "tanh"
	case ActElu:
		return "elu"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// Epilogue is applied to every output element: out = act(acc + Bias[c]).
type Epilogue struct {
	Bias       []float32 // nil = no bias; else len = output channels
	Act        Activation
	Alpha      float32
	PreluAlpha []float32
}

// ConvShape describes one 2-D convolution over an NHWC input.
type ConvShape struct {
	N, H, W, C           int // input batch, height, width, channels
	KH, KW               int // kernel
	M                    int // Conv2D: output channels; depthwise: channel multiplier
	StrideH, StrideW     int
	DilationH, DilationW int
	PadTop, PadLeft      int // explicit; the runtime resolves SAME/VALID/EXPLICIT
	OutH, OutW           int
}

// ErrShape reports an invalid shape or a filter/epilogue whose length does
// not match it.
var ErrShape = errors.New("kernel: invalid shape")

// check validates the fields every convolution needs; outC is the number of
// output channels the epilogue must cover.
func (s ConvShape) check(filterLen, wantFilter, outC int, e Epilogue) error {
	if s.N < 1 || s.H < 1 || s.W < 1 || s.C < 1 || s.KH < 1 || s.KW < 1 || s.M < 1 ||
		s.StrideH < 1 || s.StrideW < 1 || s.DilationH < 1 || s.DilationW < 1 ||
		s.OutH < 1 || s.OutW < 1 || s.PadTop < 0 || s.PadLeft < 0 {
		return fmt.Errorf("%w: %+v", ErrShape, s)
	}
	if filterLen != wantFilter {
		return fmt.Errorf("%w: filter has %d elements, shape needs %d", ErrShape, filterLen, wantFilter)
	}
	return e.check(outC)
}

func (e Epilogue) check(outC int) error {
	if e.Bias != nil && len(e.Bias) != outC {
		return fmt.Errorf("%w: bias has %d elements, want %d", ErrShape, len(e.Bias), outC)
	}
	if e.Act < ActNone || e.Act > ActElu {
		return fmt.Errorf("%w: unknown activation %d", ErrShape, int(e.Act))
	}
	if e.Act == ActPrelu && len(e.PreluAlpha) != outC {
		return fmt.Errorf("%w: prelu alpha has %d elements, want %d", ErrShape, len(e.PreluAlpha), outC)
	}
	return nil
}

// mustLen panics when a Run argument is too short: that is a bug in the
// caller's buffer planning, not a runtime condition.
func mustLen(what string, got, want int) {
	if got < want {
		panic(fmt.Sprintf("kernel: %s has %d elements, need %d", what, got, want))
	}
}
