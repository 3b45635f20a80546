package nn

import (
	"fmt"
	"math"

	"github.com/zhengapi/zheng/internal/nn/kernel"
)

// broadcastShape returns the NumPy-style broadcast of two shapes.
func broadcastShape(a, b []int) ([]int, error) {
	r := max(len(a), len(b))
	out := make([]int, r)
	for i := range r {
		da, db := 1, 1
		if j := i - (r - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (r - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// bcast is a precomputed broadcast of two operands onto an output shape,
// with dimensions merged where both operands broadcast alike.
type bcast struct {
	dims   []int // outer dims (row-major), innermost excluded
	aStr   []int
	bStr   []int
	inner  int // innermost run length
	aInner int // 0 (broadcast) or 1
	bInner int
	outer  int
}

func newBcast(out, a, b []int) *bcast {
	r := len(out)
	strides := func(s []int) []int {
		st := make([]int, r)
		acc := 1
		for i := r - 1; i >= 0; i-- {
			j := i - (r - len(s))
			if j < 0 || s[j] == 1 {
				st[i] = 0
			} else {
				st[i] = acc
			}
			if j >= 0 {
				acc *= s[j]
			}
		}
		return st
	}
	as, bs := strides(a), strides(b)
	// merge dims (drop size-1 dims; merge neighbours with the same broadcast pattern)
	var d, sa, sb []int
	for i := range r {
		if out[i] == 1 {
			continue
		}
		if k := len(d) - 1; k >= 0 && (sa[k] == 0) == (as[i] == 0) && (sb[k] == 0) == (bs[i] == 0) {
			d[k] *= out[i]
			if as[i] != 0 {
				sa[k] = as[i]
			}
			if bs[i] != 0 {
				sb[k] = bs[i]
			}
			continue
		}
		d, sa, sb = append(d, out[i]), append(sa, as[i]), append(sb, bs[i])
	}
	bc := &bcast{inner: 1, outer: 1}
	if k := len(d) - 1; k >= 0 {
		bc.inner, bc.aInner, bc.bInner = d[k], min(sa[k], 1), min(sb[k], 1)
		d, sa, sb = d[:k], sa[:k], sb[:k]
	}
	bc.dims, bc.aStr, bc.bStr = d, sa, sb
	for _, x := range d {
		bc.outer *= x
	}
	return bc
}

// offsets returns the operand offsets of outer index o.
func (bc *bcast) offsets(o int) (ao, bo int) {
	if len(bc.dims) == 1 {
		return o * bc.aStr[0], o * bc.bStr[0]
	}
	for k := len(bc.dims) - 1; k >= 0; k-- {
		i := o % bc.dims[k]
		o /= bc.dims[k]
		ao += i * bc.aStr[k]
		bo += i * bc.bStr[k]
	}
	return
}

type binCode int

const (
	binAdd binCode = iota
	binSub
	binMul
	binDiv
	binMax
	binMin
	binFloorMod
	binEqual
	binPrelu
)

// applyBin runs dst[i] = a[i*as] op b[i*bs] for i < len(dst).
func applyBin(code binCode, dst, a, b []float32, as, bs int) {
	n := len(dst)
	if as == 0 && bs == 1 && (code == binMax || code == binMin) {
		a, b, as, bs = b, a, 1, 0 // commutative: use the vector-scalar loops
	}
	switch {
	case as == 1 && bs == 1:
		a, b = a[:n], b[:n]
		switch code {
		case binAdd:
			kernel.Add(dst, a, b)
			return
		case binSub:
			kernel.Sub(dst, a, b)
			return
		case binMul:
			kernel.Mul(dst, a, b)
			return
		case binDiv:
			for i := range dst {
				dst[i] = a[i] / b[i]
			}
			return
		case binPrelu:
			for i, x := range a {
				dst[i] = max(x, 0) + b[i]*min(x, 0) // branch-free, exact
			}
			return
		}
	case as == 0 && bs == 1:
		b = b[:n]
		x := a[0]
		switch code {
		case binAdd:
			for i := range dst {
				dst[i] = x + b[i]
			}
			return
		case binSub:
			for i := range dst {
				dst[i] = x - b[i]
			}
			return
		case binMul:
			for i := range dst {
				dst[i] = x * b[i]
			}
			return
		}
	case as == 1 && bs == 0:
		a = a[:n]
		y := b[0]
		switch code {
		case binAdd:
			for i := range dst {
				dst[i] = a[i] + y
			}
			return
		case binSub:
			for i := range dst {
				dst[i] = a[i] - y
			}
			return
		case binMul:
			for i := range dst {
				dst[i] = a[i] * y
			}
			return
		case binMax: // clip_by_value at full resolution: vector loops
			kernel.Clamp(dst, a, y, float32(math.Inf(1)))
			return
		case binMin:
			kernel.Clamp(dst, a, float32(math.Inf(-1)), y)
			return
		}
	}
	f := binFunc(code)
	for i := range dst {
		dst[i] = f(a[i*as], b[i*bs])
	}
}

func binFunc(code binCode) func(x, y float32) float32 {
	switch code {
	case binAdd:
		return func(x, y float32) float32 { return x + y }
	case binSub:
		return func(x, y float32) float32 { return x - y }
	case binMul:
		return func(x, y float32) float32 { return x * y }
	case binDiv:
		return func(x, y float32) float32 { return x / y }
	case binMax:
		return func(x, y float32) float32 {
			if x != x || y != y {
				return float32(math.NaN())
			}
			return max(x, y)
		}
	case binMin:
		return func(x, y float32) float32 {
			if x != x || y != y {
				return float32(math.NaN())
			}
			return min(x, y)
		}
	case binFloorMod:
		return func(x, y float32) float32 {
			r := float32(math.Mod(float64(x), float64(y)))
			if r != 0 && (r < 0) != (y < 0) {
				r += y
			}
			return r
		}
	case binEqual:
		return func(x, y float32) float32 {
			if x == y {
				return 1
			}
			return 0
		}
	case binPrelu:
		return func(x, alpha float32) float32 { return max(x, 0) + alpha*min(x, 0) }
	}
	panic("unknown binary op")
}

func prepareBinary(code binCode) prepareFn {
	return func(n *node, in []*tval) (*prep, error) {
		if len(in) != 2 {
			return nil, fmt.Errorf("needs 2 inputs, has %d", len(in))
		}
		a, b := in[0], in[1]
		if n.op == "BiasAdd" {
			if len(b.shape) != 1 || len(a.shape) == 0 || a.shape[len(a.shape)-1] != b.shape[0] {
				return nil, fmt.Errorf("bias shape %v does not match input %v", b.shape, a.shape)
			}
		}
		shape, err := broadcastShape(a.shape, b.shape)
		if err != nil {
			return nil, err
		}
		dt := a.dt
		if code == binEqual {
			dt = dtBool
		}
		bc := newBcast(shape, a.shape, b.shape)
		fp := n.fused
		if err := checkPost(fp, shape); err != nil {
			return nil, err
		}
		var ew *ewChain
		ka, ca, oka := ewArgKind(a.shape, shape)
		kb, cb, okb := ewArgKind(b.shape, shape)
		if oka && okb && dt == dtFloat && b.dt == dtFloat && code != binEqual && code != binFloorMod {
			ew = &ewChain{ops: []ewOp{{bin: code, post: fp, args: [2]ewArg{{kind: ka, idx: 0, c: ca}, {kind: kb, idx: 1, c: cb}}}}}
		}
		blk := 2048
		if fp != nil && len(fp.prelu) > 0 {
			blk = max(1, blk/len(fp.prelu)) * len(fp.prelu)
		}
		blocks := (numElems(shape) + blk - 1) / blk
		run := func(in, out []*tval, threads int) {
			a, b, dst := in[0].data, in[1].data, out[0].data
			if bc.outer == 1 {
				// one contiguous run (same shapes, or a scalar): split it
				parallelFor(blocks, len(dst), threads, func(lo, hi int) {
					// blocks small enough that the fused activation finds
					// the sums still in L1
					for k := lo; k < hi; k++ {
						start := k * blk
						d := dst[start:min(start+blk, len(dst))]
						applyBin(code, d, a[start*bc.aInner:], b[start*bc.bInner:], bc.aInner, bc.bInner)
						if fp != nil {
							applyAct(fp, d, start)
						}
					}
				})
				return
			}
			parallelFor(bc.outer, len(dst), threads, func(lo, hi int) {
				for o := lo; o < hi; o++ {
					ao, bo := bc.offsets(o)
					d := dst[o*bc.inner : (o+1)*bc.inner]
					applyBin(code, d, a[ao:], b[bo:], bc.aInner, bc.bInner)
					if fp != nil { // while the row is still in cache
						applyAct(fp, d, o*bc.inner)
					}
				}
			})
		}
		return &prep{outs: []*tval{{shape: shape, dt: dt}}, run: run, ew: ew}, nil
	}
}

func prepareAddN(n *node, in []*tval) (*prep, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("needs at least 1 input")
	}
	for _, t := range in[1:] {
		if !sameShape(t.shape, in[0].shape) {
			return nil, fmt.Errorf("input shapes %v and %v differ", in[0].shape, t.shape)
		}
	}
	fp := n.fused
	if err := checkPost(fp, in[0].shape); err != nil {
		return nil, err
	}
	run := func(in, out []*tval, threads int) {
		dst := out[0].data
		parallelFor(len(dst), len(dst)*len(in), threads, func(lo, hi int) {
			d := dst[lo:hi]
			copy(d, in[0].data[lo:hi])
			for _, t := range in[1:] {
				s := t.data[lo:hi]
				for i := range d {
					d[i] += s[i]
				}
			}
			if fp != nil {
				applyAct(fp, d, lo)
			}
		})
	}
	return &prep{outs: []*tval{{shape: in[0].shape, dt: in[0].dt}}, run: run}, nil
}

type unaryCode int

const (
	unRelu unaryCode = iota
	unRelu6
	unSigmoid
	unTanh
	unSquare
	unCastInt
	unCastBool
	unIdentity
)

func applyUnary(code unaryCode, dst, src []float32) {
	src = src[:len(dst)]
	switch code {
	case unRelu:
		// Vector min/max: branch-free (activation signs are random, so a
		// branch per element mispredicts) and 8 lanes at a time.
		kernel.Clamp(dst, src, 0, float32(math.Inf(1)))
	case unRelu6:
		kernel.Clamp(dst, src, 0, 6)
	case unSigmoid:
		copy(dst, src)
		kernel.Sigmoid(dst)
	case unTanh:
		copy(dst, src)
		kernel.Tanh(dst)
	case unSquare:
		for i, x := range src {
			dst[i] = x * x
		}
	case unCastInt:
		for i, x := range src {
			dst[i] = float32(math.Trunc(float64(x)))
		}
	case unCastBool:
		for i, x := range src {
			if x != 0 {
				dst[i] = 1
			} else {
				dst[i] = 0
			}
		}
	case unIdentity:
		copy(dst, src)
	}
}

// relu returns x for x > 0 and +0 otherwise (negative NaNs included).
func relu(x float32) float32 {
	u := math.Float32bits(x)
	return math.Float32frombits(u &^ uint32(int32(u)>>31))
}

func sigmoid(x float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(x))))
}

func prepareUnary(code unaryCode) prepareFn {
	return func(n *node, in []*tval) (*prep, error) {
		if len(in) != 1 {
			return nil, fmt.Errorf("needs 1 input, has %d", len(in))
		}
		return unaryPrep(code, in[0], in[0].dt), nil
	}
}

func unaryPrep(code unaryCode, x *tval, dt dtype) *prep {
	run := func(in, out []*tval, threads int) {
		src, dst := in[0].data, out[0].data
		parallelFor(len(dst), len(dst)*4, threads, func(lo, hi int) {
			applyUnary(code, dst[lo:hi], src[lo:hi])
		})
	}
	var ew *ewChain
	if dt == dtFloat && x.dt == dtFloat && code != unIdentity && code != unCastInt && code != unCastBool {
		ew = &ewChain{ops: []ewOp{{unary: true, un: code, args: [2]ewArg{{kind: argFull}}}}}
	}
	return &prep{outs: []*tval{{shape: x.shape, dt: dt}}, run: run, ew: ew}
}

func prepareCast(n *node, in []*tval) (*prep, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("needs 1 input, has %d", len(in))
	}
	dt, err := parseDType(n.attrs.typ("DstT"))
	if err != nil {
		return nil, err
	}
	code := unIdentity
	switch {
	case dt == dtInt && in[0].dt == dtFloat:
		code = unCastInt
	case dt == dtBool:
		code = unCastBool
	}
	return unaryPrep(code, in[0], dt), nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
