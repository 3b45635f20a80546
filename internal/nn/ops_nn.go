package nn

import (
	"fmt"
	"math"
	"sync"

	"github.com/zhengapi/zheng/internal/nn/kernel"
)

// convGeom resolves a convolution's output size and leading pads from its
// padding attribute, as TensorFlow does.
func convGeom(n *node, in, k, stride, dil int, axis int) (out, pad int, err error) {
	eff := (k-1)*dil + 1
	switch p := n.attrs.str("padding", "VALID"); p {
	case "VALID":
		out = (in-eff)/stride + 1
		if in < eff {
			out = 0
		}
	case "SAME":
		out = (in + stride - 1) / stride
		pad = max((out-1)*stride+eff-in, 0) / 2
	case "EXPLICIT":
		ep := n.attrs.ints("explicit_paddings")
		if len(ep) != 8 {
			return 0, 0, fmt.Errorf("explicit_paddings %v, want 8 values", ep)
		}
		pad = ep[2*axis]
		out = (in+pad+ep[2*axis+1]-eff)/stride + 1
	default:
		return 0, 0, fmt.Errorf("unsupported padding %q", p)
	}
	if out <= 0 {
		return 0, 0, fmt.Errorf("input size %d too small for kernel %d", in, k)
	}
	return out, pad, nil
}

// nhwcAttr reads a 4-element NHWC attribute (strides, dilations, ksize) and
// returns its H and W entries.
func nhwcAttr(n *node, name string, def int) (h, w int, err error) {
	v := n.attrs.ints(name)
	if v == nil {
		return def, def, nil
	}
	if len(v) != 4 || v[0] != 1 || v[3] != 1 || v[1] < 1 || v[2] < 1 {
		return 0, 0, fmt.Errorf("unsupported %s %v", name, v)
	}
	return v[1], v[2], nil
}

func checkNHWC(n *node) error {
	if f := n.attrs.str("data_format", "NHWC"); f != "NHWC" {
		return fmt.Errorf("unsupported data_format %q", f)
	}
	return nil
}

// convShape fills a kernel.ConvShape for a forward convolution of x by a
// [KH,KW,...] filter.
func convShape(n *node, x, filter *tval, m int) (kernel.ConvShape, error) {
	var s kernel.ConvShape
	if err := checkNHWC(n); err != nil {
		return s, err
	}
	if len(x.shape) != 4 {
		return s, fmt.Errorf("input must be rank 4 NHWC, got %v", x.shape)
	}
	if len(filter.shape) != 4 {
		return s, fmt.Errorf("filter must be rank 4, got %v", filter.shape)
	}
	if filter.shape[2] != x.shape[3] {
		return s, fmt.Errorf("filter %v does not match input channels of %v", filter.shape, x.shape)
	}
	s.N, s.H, s.W, s.C = x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	s.KH, s.KW, s.M = filter.shape[0], filter.shape[1], m
	var err error
	if s.StrideH, s.StrideW, err = nhwcAttr(n, "strides", 1); err != nil {
		return s, err
	}
	if s.DilationH, s.DilationW, err = nhwcAttr(n, "dilations", 1); err != nil {
		return s, err
	}
	if s.OutH, s.PadTop, err = convGeom(n, s.H, s.KH, s.StrideH, s.DilationH, 1); err != nil {
		return s, err
	}
	if s.OutW, s.PadLeft, err = convGeom(n, s.W, s.KW, s.StrideW, s.DilationW, 2); err != nil {
		return s, err
	}
	return s, nil
}

// fusedEpilogue reads the fused_ops of _FusedConv2D / FusedDepthwiseConv2dNative.
func fusedEpilogue(n *node, args []*tval, outC int) (kernel.Epilogue, error) {
	var e kernel.Epilogue
	ops := n.attrs.strs("fused_ops")
	if n.op == "Conv2D" || n.op == "DepthwiseConv2dNative" {
		ops = nil
	}
	constArg := func(i int) ([]float32, error) {
		if i >= len(args) {
			return nil, fmt.Errorf("fused_ops %v need %d extra inputs, node has %d", ops, i+1, len(args))
		}
		if args[i].data == nil {
			return nil, fmt.Errorf("fused argument %d must be constant", i)
		}
		if args[i].size() != outC {
			return nil, fmt.Errorf("fused argument %d has shape %v, want %d values", i, args[i].shape, outC)
		}
		return args[i].data, nil
	}
	for i, op := range ops {
		var err error
		switch {
		case i == 0 && op == "BiasAdd":
			e.Bias, err = constArg(0)
		case i == 1 && op == "Relu":
			e.Act = kernel.ActRelu
		case i == 1 && op == "Relu6":
			e.Act = kernel.ActRelu6
		case i == 1 && op == "Elu":
			e.Act = kernel.ActElu
		case i == 1 && op == "Sigmoid":
			e.Act = kernel.ActSigmoid
		case i == 1 && op == "Tanh":
			e.Act = kernel.ActTanh
		case i == 1 && op == "LeakyRelu":
			e.Act, e.Alpha = kernel.ActLeakyRelu, n.attrs.float("leakyrelu_alpha", 0.2)
		case i == 1 && op == "Prelu":
			e.Act = kernel.ActPrelu
			e.PreluAlpha, err = constArg(1)
		default:
			return e, fmt.Errorf("unsupported fused_ops %v", ops)
		}
		if err != nil {
			return e, err
		}
	}
	if p := n.fused; p != nil {
		// bias and activation folded in from the node's readers (fuseGraph)
		if p.bias != nil {
			if len(p.bias) != outC {
				return e, fmt.Errorf("fused bias has %d values, want %d", len(p.bias), outC)
			}
			b := append([]float32(nil), p.bias...)
			for i := range e.Bias {
				b[i] += e.Bias[i]
			}
			e.Bias = b
		}
		if p.act != kernel.ActNone {
			if e.Act != kernel.ActNone {
				return e, fmt.Errorf("fused activation on top of %v", e.Act)
			}
			if p.act == kernel.ActPrelu && len(p.prelu) != outC {
				return e, fmt.Errorf("fused prelu alpha has %d values, want %d", len(p.prelu), outC)
			}
			e.Act, e.PreluAlpha = p.act, p.prelu
		}
	}
	return e, nil
}

func prepareConv2D(n *node, in []*tval) (*prep, error) {
	if len(in) < 2 {
		return nil, fmt.Errorf("needs input and filter")
	}
	x, f := in[0], in[1]
	if f.data == nil {
		return nil, fmt.Errorf("filter must be constant")
	}
	if len(f.shape) != 4 {
		return nil, fmt.Errorf("filter must be rank 4, got %v", f.shape)
	}
	s, err := convShape(n, x, f, f.shape[3])
	if err != nil {
		return nil, err
	}
	e, err := fusedEpilogue(n, in[2:], s.M)
	if err != nil {
		return nil, err
	}
	k, err := packConv2D(n, f.data, s, e)
	if err != nil {
		return nil, err
	}
	run := func(in, out []*tval, threads int) { k.Run(out[0].data, in[0].data, threads) }
	fl := 2 * int64(s.N*s.OutH*s.OutW) * int64(s.KH*s.KW*s.C*s.M)
	return &prep{outs: []*tval{{shape: []int{s.N, s.OutH, s.OutW, s.M}}}, run: run, flops: fl}, nil
}

// packedConv is a node's packed convolution with what it was packed from.
type packedConv struct {
	filter []float32
	e      kernel.Epilogue
	conv   *kernel.Conv2D
}

// packConv2D returns the convolution of node n for shape s, reusing the
// filter another plan of the model packed when filter and epilogue are the
// same (they normally are: plans differ by input shape only).
func packConv2D(n *node, filter []float32, s kernel.ConvShape, e kernel.Epilogue) (*kernel.Conv2D, error) {
	if pc := n.conv.Load(); pc != nil && sameFloats(pc.filter, filter) && sameEpilogue(pc.e, e) {
		if k, err := pc.conv.Reshape(s); err == nil {
			return k, nil
		}
	}
	k, err := kernel.NewConv2D(filter, s, e)
	if err != nil {
		return nil, err
	}
	n.conv.Store(&packedConv{filter: filter, e: e, conv: k})
	return k, nil
}

func sameEpilogue(a, b kernel.Epilogue) bool {
	return a.Act == b.Act && a.Alpha == b.Alpha &&
		sameFloats(a.Bias, b.Bias) && sameFloats(a.PreluAlpha, b.PreluAlpha)
}

// sameFloats compares bit patterns (so NaN weights compare equal to
// themselves), the common case of one shared slice first.
func sameFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return (a == nil) == (b == nil)
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func prepareDepthwise(n *node, in []*tval) (*prep, error) {
	if len(in) < 2 {
		return nil, fmt.Errorf("needs input and filter")
	}
	x, f := in[0], in[1]
	if f.data == nil {
		return nil, fmt.Errorf("filter must be constant")
	}
	if len(f.shape) != 4 {
		return nil, fmt.Errorf("filter must be rank 4, got %v", f.shape)
	}
	s, err := convShape(n, x, f, f.shape[3])
	if err != nil {
		return nil, err
	}
	e, err := fusedEpilogue(n, in[2:], s.C*s.M)
	if err != nil {
		return nil, err
	}
	k, err := kernel.NewDepthwise(f.data, s, e)
	if err != nil {
		return nil, err
	}
	run := func(in, out []*tval, threads int) { k.Run(out[0].data, in[0].data, threads) }
	fl := 2 * int64(s.N*s.OutH*s.OutW) * int64(s.KH*s.KW*s.C*s.M)
	return &prep{outs: []*tval{{shape: []int{s.N, s.OutH, s.OutW, s.C * s.M}}}, run: run, flops: fl}, nil
}

// prepareConvTranspose is Conv2DBackpropInput(input_sizes, filter, out_backprop).
func prepareConvTranspose(n *node, in []*tval) (*prep, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("needs 3 inputs, has %d", len(in))
	}
	sizes, err := constInts(in[0], "input_sizes")
	if err != nil {
		return nil, err
	}
	f, x := in[1], in[2]
	if f.data == nil {
		return nil, fmt.Errorf("filter must be constant")
	}
	if err := checkNHWC(n); err != nil {
		return nil, err
	}
	if len(sizes) != 4 || len(f.shape) != 4 || len(x.shape) != 4 {
		return nil, fmt.Errorf("input_sizes %v, filter %v and input %v must be rank 4", sizes, f.shape, x.shape)
	}
	if f.shape[3] != x.shape[3] || f.shape[2] != sizes[3] || sizes[0] != x.shape[0] {
		return nil, fmt.Errorf("filter %v does not fit input %v and output %v", f.shape, x.shape, sizes)
	}
	s := kernel.ConvShape{N: x.shape[0], H: x.shape[1], W: x.shape[2], C: x.shape[3],
		KH: f.shape[0], KW: f.shape[1], M: f.shape[2], OutH: sizes[1], OutW: sizes[2]}
	if s.StrideH, s.StrideW, err = nhwcAttr(n, "strides", 1); err != nil {
		return nil, err
	}
	if s.DilationH, s.DilationW, err = nhwcAttr(n, "dilations", 1); err != nil {
		return nil, err
	}
	// Pads are those of the forward convolution from OutH x OutW to H x W.
	oh, pt, err := convGeom(n, s.OutH, s.KH, s.StrideH, s.DilationH, 1)
	if err != nil {
		return nil, err
	}
	ow, pl, err := convGeom(n, s.OutW, s.KW, s.StrideW, s.DilationW, 2)
	if err != nil {
		return nil, err
	}
	if oh != s.H || ow != s.W {
		return nil, fmt.Errorf("input %v is not the forward output of %v (want %dx%d)", x.shape, sizes, oh, ow)
	}
	s.PadTop, s.PadLeft = pt, pl
	k, err := kernel.NewConvTranspose(f.data, s, kernel.Epilogue{})
	if err != nil {
		return nil, err
	}
	run := func(in, out []*tval, threads int) { k.Run(out[0].data, in[2].data, threads) }
	fl := 2 * int64(s.N*s.H*s.W) * int64(s.KH*s.KW*s.C*s.M)
	return &prep{outs: []*tval{{shape: sizes}}, run: run, flops: fl}, nil
}

func prepareMatMul(n *node, in []*tval) (*prep, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("needs 2 inputs, has %d", len(in))
	}
	a, b := in[0], in[1]
	if len(a.shape) != 2 || len(b.shape) != 2 {
		return nil, fmt.Errorf("needs rank-2 inputs, got %v and %v", a.shape, b.shape)
	}
	ta, tb := n.attrs.bool("transpose_a"), n.attrs.bool("transpose_b")
	m, k := a.shape[0], a.shape[1]
	if ta {
		m, k = k, m
	}
	k2, nn := b.shape[0], b.shape[1]
	if tb {
		k2, nn = nn, k2
	}
	if k != k2 {
		return nil, fmt.Errorf("inner dimensions of %v and %v differ", a.shape, b.shape)
	}
	run := func(in, out []*tval, threads int) {
		kernel.MatMul(out[0].data, in[0].data, in[1].data, m, nn, k, ta, tb, threads)
	}
	if b.data != nil {
		// A constant weight (all of meet's MatMuls): pack it once here
		// instead of on every run.
		pk, err := kernel.NewPackedMatMul(b.data, k, nn, tb, kernel.Epilogue{})
		if err != nil {
			return nil, err
		}
		run = func(in, out []*tval, threads int) { pk.Run(out[0].data, in[0].data, m, ta, threads) }
	}
	return &prep{outs: []*tval{{shape: []int{m, nn}}}, run: run, flops: 2 * int64(m) * int64(nn) * int64(k)}, nil
}

var negInf = float32(math.Inf(-1))

func preparePool(isMax bool) prepareFn {
	return func(n *node, in []*tval) (*prep, error) {
		if len(in) != 1 {
			return nil, fmt.Errorf("needs 1 input, has %d", len(in))
		}
		x := in[0]
		if err := checkNHWC(n); err != nil {
			return nil, err
		}
		if len(x.shape) != 4 {
			return nil, fmt.Errorf("input must be rank 4 NHWC, got %v", x.shape)
		}
		kh, kw, err := nhwcAttr(n, "ksize", 1)
		if err != nil {
			return nil, err
		}
		sh, sw, err := nhwcAttr(n, "strides", 1)
		if err != nil {
			return nil, err
		}
		N, H, W, C := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
		oh, pt, err := convGeom(n, H, kh, sh, 1, 1)
		if err != nil {
			return nil, err
		}
		ow, pl, err := convGeom(n, W, kw, sw, 1, 2)
		if err != nil {
			return nil, err
		}
		run := func(in, out []*tval, threads int) {
			src, dst := in[0].data, out[0].data
			parallelFor(N*oh, len(dst)*kh*kw, threads, func(lo, hi int) {
				for r := lo; r < hi; r++ {
					b, oy := r/oh, r%oh
					y0, y1 := max(oy*sh-pt, 0), min(oy*sh-pt+kh, H)
					for ox := range ow {
						x0, x1 := max(ox*sw-pl, 0), min(ox*sw-pl+kw, W)
						d := dst[((b*oh+oy)*ow+ox)*C:][:C]
						if isMax {
							for i := range d {
								d[i] = negInf
							}
						} else {
							clear(d)
						}
						for y := y0; y < y1; y++ {
							for xx := x0; xx < x1; xx++ {
								s := src[((b*H+y)*W+xx)*C:][:C]
								if isMax {
									for i, v := range s {
										d[i] = max(d[i], v)
									}
								} else {
									for i, v := range s {
										d[i] += v
									}
								}
							}
						}
						if !isMax {
							// SAME padding averages over the taps inside the input only.
							inv := 1 / float32((y1-y0)*(x1-x0))
							for i := range d {
								d[i] *= inv
							}
						}
					}
				}
			})
		}
		return &prep{outs: []*tval{{shape: []int{N, oh, ow, C}, dt: x.dt}}, run: run}, nil
	}
}

// lerpAxis holds, for each output coordinate of a resize, the two source
// indices and the weight of the second.
type lerpAxis struct {
	lo, hi []int
	frac   []float32
}

// resizeAxis follows TensorFlow's ResizeBilinear coordinate mapping.
func resizeAxis(in, out int, alignCorners, halfPixel bool) lerpAxis {
	scale := float64(in) / float64(out)
	if alignCorners && out > 1 {
		scale = float64(in-1) / float64(out-1)
	}
	a := lerpAxis{lo: make([]int, out), hi: make([]int, out), frac: make([]float32, out)}
	for i := range out {
		var src float64
		if halfPixel {
			src = (float64(i)+0.5)*scale - 0.5
		} else {
			src = float64(i) * scale
		}
		f := math.Floor(src)
		a.lo[i] = max(int(f), 0)
		a.hi[i] = min(int(math.Ceil(src)), in-1)
		a.frac[i] = float32(src - f)
	}
	return a
}

func prepareResizeBilinear(n *node, in []*tval) (*prep, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("needs 2 inputs, has %d", len(in))
	}
	x := in[0]
	size, err := constInts(in[1], "size")
	if err != nil {
		return nil, err
	}
	if len(x.shape) != 4 || len(size) != 2 || size[0] <= 0 || size[1] <= 0 {
		return nil, fmt.Errorf("cannot resize %v to %v", x.shape, size)
	}
	ac, hp := n.attrs.bool("align_corners"), n.attrs.bool("half_pixel_centers")
	if ac && hp {
		return nil, fmt.Errorf("align_corners and half_pixel_centers are exclusive")
	}
	N, H, W, C := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	oh, ow := size[0], size[1]
	ya, xa := resizeAxis(H, oh, ac, hp), resizeAxis(W, ow, ac, hp)
	rowLen := ow * C
	// Each output row blends two horizontally interpolated source rows; when
	// upscaling, consecutive output rows share them, so they are cached.
	var scratch sync.Pool
	hrow := func(dst, srow []float32) {
		for ox := range ow {
			x0, x1, fx := xa.lo[ox]*C, xa.hi[ox]*C, xa.frac[ox]
			d := dst[ox*C : ox*C+C]
			for c := range d {
				l := srow[x0+c]
				d[c] = l + (srow[x1+c]-l)*fx
			}
		}
	}
	run := func(in, out []*tval, threads int) {
		src, dst := in[0].data, out[0].data
		parallelFor(N*oh, len(dst)*4, threads, func(lo, hi int) {
			buf, _ := scratch.Get().(*[]float32)
			if buf == nil {
				b := make([]float32, 2*rowLen)
				buf = &b
			}
			defer scratch.Put(buf)
			rows := [2][]float32{(*buf)[:rowLen], (*buf)[rowLen:]}
			have := [2]int{-1, -1} // source row (batch*H + y) held by rows[i]
			get := func(sr int, keep int) []float32 {
				for i := range rows {
					if have[i] == sr {
						return rows[i]
					}
				}
				i := 0
				if have[0] == keep {
					i = 1
				}
				hrow(rows[i], src[sr*W*C:(sr+1)*W*C])
				have[i] = sr
				return rows[i]
			}
			for r := lo; r < hi; r++ {
				b, oy := r/oh, r%oh
				st, sb := b*H+ya.lo[oy], b*H+ya.hi[oy]
				top := get(st, sb)
				bot := get(sb, st)
				fy := ya.frac[oy]
				row := dst[r*rowLen : (r+1)*rowLen]
				kernel.Lerp(row, top, bot, fy)
			}
		})
	}
	return &prep{outs: []*tval{{shape: []int{N, oh, ow, C}, dt: x.dt}}, run: run}, nil
}

// spaceBatchArgs reads block_shape and a [2,2] paddings/crops operand.
func spaceBatchArgs(in []*tval) (bh, bw int, p [4]int, err error) {
	if len(in) != 3 || len(in[0].shape) != 4 {
		return 0, 0, p, fmt.Errorf("needs a rank-4 input, block_shape and paddings")
	}
	bs, err := constInts(in[1], "block_shape")
	if err != nil {
		return 0, 0, p, err
	}
	pc, err := constInts(in[2], "paddings")
	if err != nil {
		return 0, 0, p, err
	}
	if len(bs) != 2 || len(pc) != 4 || bs[0] < 1 || bs[1] < 1 {
		return 0, 0, p, fmt.Errorf("unsupported block_shape %v / paddings %v (only 2 spatial dims)", bs, pc)
	}
	for _, v := range pc {
		if v < 0 {
			return 0, 0, p, fmt.Errorf("negative paddings %v", pc)
		}
	}
	copy(p[:], pc)
	return bs[0], bs[1], p, nil
}

func prepareSpaceToBatch(n *node, in []*tval) (*prep, error) {
	bh, bw, p, err := spaceBatchArgs(in)
	if err != nil {
		return nil, err
	}
	x := in[0]
	N, H, W, C := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	ph, pw := H+p[0]+p[1], W+p[2]+p[3]
	if ph%bh != 0 || pw%bw != 0 {
		return nil, fmt.Errorf("padded size %dx%d not divisible by block %dx%d", ph, pw, bh, bw)
	}
	oh, ow := ph/bh, pw/bw
	run := func(in, out []*tval, _ int) {
		src, dst := in[0].data, out[0].data
		for ib := range bh * bw {
			i, j := ib/bw, ib%bw
			for b := range N {
				ob := ib*N + b
				for y := range oh {
					sy := y*bh + i - p[0]
					for xx := range ow {
						d := dst[((ob*oh+y)*ow+xx)*C:][:C]
						sx := xx*bw + j - p[2]
						if sy < 0 || sy >= H || sx < 0 || sx >= W {
							clear(d)
							continue
						}
						copy(d, src[((b*H+sy)*W+sx)*C:])
					}
				}
			}
		}
	}
	return &prep{outs: []*tval{{shape: []int{N * bh * bw, oh, ow, C}, dt: x.dt}}, run: run}, nil
}

func prepareBatchToSpace(n *node, in []*tval) (*prep, error) {
	bh, bw, c, err := spaceBatchArgs(in)
	if err != nil {
		return nil, err
	}
	x := in[0]
	B, h, w, C := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	if B%(bh*bw) != 0 {
		return nil, fmt.Errorf("batch %d not divisible by block %dx%d", B, bh, bw)
	}
	N := B / (bh * bw)
	oh, ow := h*bh-c[0]-c[1], w*bw-c[2]-c[3]
	if oh <= 0 || ow <= 0 {
		return nil, fmt.Errorf("crops %v remove the whole input %v", c, x.shape)
	}
	run := func(in, out []*tval, _ int) {
		src, dst := in[0].data, out[0].data
		for b := range N {
			for y := range oh {
				py := y + c[0]
				i, sy := py%bh, py/bh
				for xx := range ow {
					px := xx + c[2]
					j, sx := px%bw, px/bw
					sb := (i*bw+j)*N + b
					copy(dst[((b*oh+y)*ow+xx)*C:][:C], src[((sb*h+sy)*w+sx)*C:])
				}
			}
		}
	}
	return &prep{outs: []*tval{{shape: []int{N, oh, ow, C}, dt: x.dt}}, run: run}, nil
}
