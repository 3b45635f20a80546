package nn

import "fmt"

// constInts reads a small integer input that must be known at plan time
// (shapes, axes, paddings).
func constInts(t *tval, what string) ([]int, error) {
	if t.data == nil {
		return nil, fmt.Errorf("%s must be known before the run (computed from shapes and constants)", what)
	}
	out := make([]int, len(t.data))
	for i, v := range t.data {
		out[i] = int(v)
	}
	return out, nil
}

func normAxis(axis, rank int) (int, error) {
	if axis < 0 {
		axis += rank
	}
	if axis < 0 || axis >= rank {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	return axis, nil
}

func aliasPrep(x *tval, shape []int) *prep {
	return &prep{outs: []*tval{{shape: shape, dt: x.dt}}, alias: []int{0}}
}

func prepareIdentity(n *node, in []*tval) (*prep, error) {
	if len(in) < 1 {
		return nil, fmt.Errorf("needs 1 input")
	}
	return aliasPrep(in[0], in[0].shape), nil
}

func prepareReshape(n *node, in []*tval) (*prep, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("needs 2 inputs, has %d", len(in))
	}
	want, err := constInts(in[1], "shape")
	if err != nil {
		return nil, err
	}
	total := in[0].size()
	known, infer := 1, -1
	for i, d := range want {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			return nil, fmt.Errorf("bad target shape %v", want)
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v to %v", in[0].shape, want)
		}
		want[infer] = total / known
	} else if known != total {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in[0].shape, total, want)
	}
	return aliasPrep(in[0], want), nil
}

func prepareSqueeze(n *node, in []*tval) (*prep, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("needs 1 input, has %d", len(in))
	}
	x := in[0]
	axes := n.attrs.ints("squeeze_dims")
	if axes == nil {
		axes = n.attrs.ints("axis")
	}
	drop := make([]bool, len(x.shape))
	for _, a := range axes {
		a, err := normAxis(a, len(x.shape))
		if err != nil {
			return nil, err
		}
		if x.shape[a] != 1 {
			return nil, fmt.Errorf("cannot squeeze dimension %d of shape %v", a, x.shape)
		}
		drop[a] = true
	}
	shape := []int{}
	for i, d := range x.shape {
		if drop[i] || (len(axes) == 0 && d == 1) {
			continue
		}
		shape = append(shape, d)
	}
	return aliasPrep(x, shape), nil
}

func prepareShape(n *node, in []*tval) (*prep, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("needs 1 input, has %d", len(in))
	}
	// The shape is known at plan time, so the output is a constant of the plan.
	data := make([]float32, len(in[0].shape))
	for i, d := range in[0].shape {
		data[i] = float32(d)
	}
	return &prep{outs: []*tval{{shape: []int{len(data)}, dt: dtInt, data: data}}}, nil
}

// copyBlocks copies a tensor viewed as [outer, rowLen] rows into dst rows of
// width dstRow at column offset off. Narrow rows (a channel or three) are
// copied element-wise: a memmove call per row would cost more than the data.
func copyBlocks(dst, src []float32, outer, rowLen, dstRow, off int) {
	switch {
	case rowLen == 1:
		for o, v := range src[:outer] {
			dst[o*dstRow+off] = v
		}
	case rowLen == 3:
		for o := range outer {
			d, s := o*dstRow+off, 3*o
			dst[d], dst[d+1], dst[d+2] = src[s], src[s+1], src[s+2]
		}
	case rowLen < 16:
		for o := range outer {
			d := dst[o*dstRow+off : o*dstRow+off+rowLen]
			s := src[o*rowLen : (o+1)*rowLen]
			for i := range d {
				d[i] = s[i]
			}
		}
	default:
		for o := range outer {
			copy(dst[o*dstRow+off:o*dstRow+off+rowLen], src[o*rowLen:(o+1)*rowLen])
		}
	}
}

// pickBlocks is the inverse of copyBlocks: rows of width rowLen taken from src
// rows of width srcRow at column offset off.
func pickBlocks(dst, src []float32, outer, rowLen, srcRow, off int) {
	switch {
	case rowLen == 1:
		for o := range dst[:outer] {
			dst[o] = src[o*srcRow+off]
		}
	case rowLen == 3:
		for o := range outer {
			s, d := o*srcRow+off, 3*o
			dst[d], dst[d+1], dst[d+2] = src[s], src[s+1], src[s+2]
		}
	case rowLen < 16:
		for o := range outer {
			d := dst[o*rowLen : (o+1)*rowLen]
			s := src[o*srcRow+off : o*srcRow+off+rowLen]
			for i := range d {
				d[i] = s[i]
			}
		}
	default:
		for o := range outer {
			copy(dst[o*rowLen:(o+1)*rowLen], src[o*srcRow+off:o*srcRow+off+rowLen])
		}
	}
}

func prepareConcat(n *node, in []*tval) (*prep, error) {
	if len(in) < 2 {
		return nil, fmt.Errorf("needs values and an axis")
	}
	ax, err := constInts(in[len(in)-1], "axis")
	if err != nil || len(ax) != 1 {
		return nil, fmt.Errorf("axis must be a known scalar")
	}
	vals := in[:len(in)-1]
	return concatPrep(vals, ax[0], false)
}

func preparePack(n *node, in []*tval) (*prep, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("needs at least 1 input")
	}
	return concatPrep(in, n.attrs.int("axis", 0), true)
}

// concatPrep joins tensors along axis; stack inserts the axis first (Pack).
func concatPrep(vals []*tval, axis int, stack bool) (*prep, error) {
	base := vals[0].shape
	rank := len(base)
	if stack {
		rank++
	}
	axis, err := normAxis(axis, rank)
	if err != nil {
		return nil, err
	}
	shape := make([]int, rank)
	if stack {
		copy(shape, base[:axis])
		shape[axis] = len(vals)
		copy(shape[axis+1:], base[axis:])
	} else {
		copy(shape, base)
		shape[axis] = 0
	}
	widths := make([]int, len(vals))
	for i, v := range vals {
		if stack {
			if !sameShape(v.shape, base) {
				return nil, fmt.Errorf("input %d has shape %v, want %v", i, v.shape, base)
			}
			widths[i] = numElems(base[axis:])
			continue
		}
		if len(v.shape) != rank {
			return nil, fmt.Errorf("input %d has rank %d, want %d", i, len(v.shape), rank)
		}
		for d := range rank {
			if d != axis && v.shape[d] != base[d] {
				return nil, fmt.Errorf("input %d has shape %v, incompatible with %v on axis %d", i, v.shape, base, axis)
			}
		}
		shape[axis] += v.shape[axis]
		widths[i] = numElems(v.shape[axis:])
	}
	outer := numElems(shape[:axis])
	row := numElems(shape[axis:])
	run := func(in, out []*tval, threads int) {
		parallelFor(outer, outer*row, threads, func(lo, hi int) {
			dst := out[0].data[lo*row:]
			off := 0
			for i, v := range in[:len(widths)] {
				copyBlocks(dst, v.data[lo*widths[i]:], hi-lo, widths[i], row, off)
				off += widths[i]
			}
		})
	}
	return &prep{outs: []*tval{{shape: shape, dt: vals[0].dt}}, run: run}, nil
}

func prepareSplit(n *node, in []*tval) (*prep, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("needs 2 inputs, has %d", len(in))
	}
	ax, err := constInts(in[0], "axis")
	if err != nil || len(ax) != 1 {
		return nil, fmt.Errorf("axis must be a known scalar")
	}
	x := in[1]
	k := n.attrs.int("num_split", 1)
	axis, err := normAxis(ax[0], len(x.shape))
	if err != nil {
		return nil, err
	}
	if k <= 0 || x.shape[axis]%k != 0 {
		return nil, fmt.Errorf("cannot split dimension %d of %v into %d", axis, x.shape, k)
	}
	sizes := make([]int, k)
	for i := range sizes {
		sizes[i] = x.shape[axis] / k
	}
	return splitPrep(x, axis, sizes, 1)
}

func prepareSplitV(n *node, in []*tval) (*prep, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("needs 3 inputs, has %d", len(in))
	}
	x := in[0]
	sizes, err := constInts(in[1], "size_splits")
	if err != nil {
		return nil, err
	}
	ax, err := constInts(in[2], "axis")
	if err != nil || len(ax) != 1 {
		return nil, fmt.Errorf("axis must be a known scalar")
	}
	axis, err := normAxis(ax[0], len(x.shape))
	if err != nil {
		return nil, err
	}
	sum, infer := 0, -1
	for i, s := range sizes {
		if s == -1 && infer < 0 {
			infer = i
		} else if s < 0 {
			return nil, fmt.Errorf("bad size_splits %v", sizes)
		} else {
			sum += s
		}
	}
	if infer >= 0 {
		sizes[infer] = x.shape[axis] - sum
		sum = x.shape[axis]
	}
	if sum != x.shape[axis] || (infer >= 0 && sizes[infer] < 0) {
		return nil, fmt.Errorf("size_splits %v do not add up to %d", sizes, x.shape[axis])
	}
	return splitPrep(x, axis, sizes, 0)
}

// splitPrep cuts x along axis; src is the index of x among the node's inputs.
func splitPrep(x *tval, axis int, sizes []int, src int) (*prep, error) {
	outer := numElems(x.shape[:axis])
	inner := numElems(x.shape[axis+1:])
	row := x.shape[axis] * inner
	p := &prep{}
	for _, s := range sizes {
		shape := append([]int{}, x.shape...)
		shape[axis] = s
		p.outs = append(p.outs, &tval{shape: shape, dt: x.dt})
	}
	p.run = func(in, out []*tval, threads int) {
		parallelFor(outer, outer*row, threads, func(lo, hi int) {
			data := in[src].data[lo*row:]
			off := 0
			for i, s := range sizes {
				w := s * inner
				pickBlocks(out[i].data[lo*w:], data, hi-lo, w, row, off)
				off += w
			}
		})
	}
	return p, nil
}

// sliceSpec is a strided box within a tensor: start, step and length per axis.
type sliceSpec struct {
	begin, stride, size []int
}

// whole reports whether the box is all of a tensor of shape inShape.
func (s *sliceSpec) whole(inShape []int) bool {
	for d, n := range inShape {
		if s.begin[d] != 0 || s.stride[d] != 1 || s.size[d] != n {
			return false
		}
	}
	return true
}

// gather copies the box out of src (shape inShape) into dst, one innermost
// run at a time.
func (s *sliceSpec) gather(dst, src []float32, inShape []int) {
	r := len(inShape)
	if r == 0 {
		copy(dst, src[:1])
		return
	}
	var strBuf, idxBuf [8]int
	str, idx := strBuf[:0], idxBuf[:0]
	if r > len(strBuf) {
		str, idx = make([]int, 0, r), make([]int, 0, r)
	}
	str, idx = str[:r], idx[:r]
	acc := 1
	for i := r - 1; i >= 0; i-- {
		str[i] = acc
		acc *= inShape[i]
		idx[i] = 0
	}
	inner, step := s.size[r-1], s.stride[r-1]
	total := numElems(s.size)
	if inner == 0 || total == 0 {
		return
	}
	for o := 0; o < total; o += inner {
		off := s.begin[r-1]
		for d := range r - 1 {
			off += (s.begin[d] + idx[d]*s.stride[d]) * str[d]
		}
		d := dst[o : o+inner]
		if step == 1 {
			copy(d, src[off:off+inner])
		} else {
			for i := range d {
				d[i] = src[off+i*step]
			}
		}
		for k := r - 2; k >= 0; k-- {
			idx[k]++
			if idx[k] < s.size[k] {
				break
			}
			idx[k] = 0
		}
	}
}

func prepareSlice(n *node, in []*tval) (*prep, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("needs 3 inputs, has %d", len(in))
	}
	x := in[0]
	begin, err := constInts(in[1], "begin")
	if err != nil {
		return nil, err
	}
	size, err := constInts(in[2], "size")
	if err != nil {
		return nil, err
	}
	if len(begin) != len(x.shape) || len(size) != len(x.shape) {
		return nil, fmt.Errorf("begin %v / size %v do not match rank of %v", begin, size, x.shape)
	}
	s := &sliceSpec{begin: begin, size: size, stride: make([]int, len(begin))}
	for d := range begin {
		s.stride[d] = 1
		if size[d] == -1 {
			size[d] = x.shape[d] - begin[d]
		}
		if begin[d] < 0 || size[d] < 0 || begin[d]+size[d] > x.shape[d] {
			return nil, fmt.Errorf("slice begin %v size %v out of bounds for %v", begin, size, x.shape)
		}
	}
	return slicePrep(x, s, size), nil
}

func slicePrep(x *tval, s *sliceSpec, outShape []int) *prep {
	if s.whole(x.shape) {
		// The box is the whole tensor (rvm slices its full-resolution
		// decoder features this way): share the storage, do not copy it.
		return aliasPrep(x, outShape)
	}
	inShape := x.shape
	run := func(in, out []*tval, _ int) { s.gather(out[0].data, in[0].data, inShape) }
	return &prep{outs: []*tval{{shape: outShape, dt: x.dt}}, run: run}
}

func prepareStridedSlice(n *node, in []*tval) (*prep, error) {
	if len(in) != 4 {
		return nil, fmt.Errorf("needs 4 inputs, has %d", len(in))
	}
	x := in[0]
	begin, err := constInts(in[1], "begin")
	if err != nil {
		return nil, err
	}
	end, err := constInts(in[2], "end")
	if err != nil {
		return nil, err
	}
	strides, err := constInts(in[3], "strides")
	if err != nil {
		return nil, err
	}
	if len(begin) != len(end) || len(begin) != len(strides) {
		return nil, fmt.Errorf("begin, end and strides differ in length")
	}
	bm, em := n.attrs.int("begin_mask", 0), n.attrs.int("end_mask", 0)
	elm, nam, sam := n.attrs.int("ellipsis_mask", 0), n.attrs.int("new_axis_mask", 0), n.attrs.int("shrink_axis_mask", 0)
	// Expand the sparse spec into one entry per input dimension.
	type dimSpec struct {
		b, e, s         int
		bMask, eMask    bool
		shrink, newAxis bool
	}
	var dense []dimSpec
	rank := len(x.shape)
	nonNew := 0
	for i := range begin {
		if nam&(1<<i) == 0 && elm&(1<<i) == 0 {
			nonNew++
		}
	}
	for i := range begin {
		switch {
		case elm&(1<<i) != 0:
			for range rank - nonNew {
				dense = append(dense, dimSpec{s: 1, bMask: true, eMask: true})
			}
		case nam&(1<<i) != 0:
			dense = append(dense, dimSpec{newAxis: true})
		default:
			dense = append(dense, dimSpec{b: begin[i], e: end[i], s: strides[i], bMask: bm&(1<<i) != 0, eMask: em&(1<<i) != 0, shrink: sam&(1<<i) != 0})
		}
	}
	dim := 0
	for _, d := range dense {
		if !d.newAxis {
			dim++
		}
	}
	for ; dim < rank; dim++ {
		dense = append(dense, dimSpec{s: 1, bMask: true, eMask: true})
	}
	s := &sliceSpec{}
	var outShape []int
	dim = 0
	for _, d := range dense {
		if d.newAxis {
			outShape = append(outShape, 1)
			continue
		}
		if dim >= rank {
			return nil, fmt.Errorf("slice spec has more dimensions than input %v", x.shape)
		}
		size := x.shape[dim]
		if d.s == 0 {
			return nil, fmt.Errorf("stride 0")
		}
		var b, e int
		if d.shrink {
			b = d.b
			if b < 0 {
				b += size
			}
			if b < 0 || b >= size {
				return nil, fmt.Errorf("index %d out of range for dimension %d of %v", d.b, dim, x.shape)
			}
			s.begin, s.stride, s.size = append(s.begin, b), append(s.stride, 1), append(s.size, 1)
			dim++
			continue
		}
		clamp := func(v, lo, hi int) int { return min(max(v, lo), hi) }
		if d.s > 0 {
			b, e = d.b, d.e
			if b < 0 {
				b += size
			}
			if e < 0 {
				e += size
			}
			b, e = clamp(b, 0, size), clamp(e, 0, size)
			if d.bMask {
				b = 0
			}
			if d.eMask {
				e = size
			}
		} else {
			b, e = d.b, d.e
			if b < 0 {
				b += size
			}
			if e < 0 {
				e += size
			}
			b, e = clamp(b, -1, size-1), clamp(e, -1, size-1)
			if d.bMask {
				b = size - 1
			}
			if d.eMask {
				e = -1
			}
		}
		n := 0
		if d.s > 0 && e > b {
			n = (e - b + d.s - 1) / d.s
		} else if d.s < 0 && b > e {
			n = (b - e - d.s - 1) / -d.s
		}
		s.begin, s.stride, s.size = append(s.begin, b), append(s.stride, d.s), append(s.size, n)
		outShape = append(outShape, n)
		dim++
	}
	if outShape == nil {
		outShape = []int{}
	}
	return slicePrep(x, s, outShape), nil
}

func prepareBroadcastTo(n *node, in []*tval) (*prep, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("needs 2 inputs, has %d", len(in))
	}
	shape, err := constInts(in[1], "shape")
	if err != nil {
		return nil, err
	}
	got, err := broadcastShape(in[0].shape, shape)
	if err != nil || !sameShape(got, shape) {
		return nil, fmt.Errorf("cannot broadcast %v to %v", in[0].shape, shape)
	}
	bc := newBcast(shape, in[0].shape, []int{})
	run := func(in, out []*tval, _ int) {
		src, dst := in[0].data, out[0].data
		for o := range bc.outer {
			ao, _ := bc.offsets(o)
			d := dst[o*bc.inner : (o+1)*bc.inner]
			if bc.aInner == 1 {
				copy(d, src[ao:])
			} else {
				for i := range d {
					d[i] = src[ao]
				}
			}
		}
	}
	return &prep{outs: []*tval{{shape: shape, dt: in[0].dt}}, run: run}, nil
}

func preparePad(n *node, in []*tval) (*prep, error) {
	if len(in) < 2 {
		return nil, fmt.Errorf("needs 2 inputs, has %d", len(in))
	}
	x := in[0]
	pads, err := constInts(in[1], "paddings")
	if err != nil {
		return nil, err
	}
	rank := len(x.shape)
	if len(pads) != 2*rank {
		return nil, fmt.Errorf("paddings %v do not match rank %d", pads, rank)
	}
	var fill float32
	if len(in) == 3 {
		if in[2].data == nil || len(in[2].data) != 1 {
			return nil, fmt.Errorf("constant_values must be a known scalar")
		}
		fill = in[2].data[0]
	}
	shape := make([]int, rank)
	for d := range rank {
		if pads[2*d] < 0 || pads[2*d+1] < 0 {
			return nil, fmt.Errorf("negative paddings %v", pads)
		}
		shape[d] = x.shape[d] + pads[2*d] + pads[2*d+1]
	}
	inShape := x.shape
	// Dimensions after the last padded one are contiguous in both tensors:
	// copy blocks of them, one per index of the dimensions before.
	k := -1
	for d := range rank {
		if pads[2*d] != 0 || pads[2*d+1] != 0 {
			k = d
		}
	}
	if k < 0 {
		return aliasPrep(x, x.shape), nil
	}
	tail := numElems(inShape[k+1:])
	block := inShape[k] * tail
	rows := numElems(inShape[:k])
	padRows := func(dst, src []float32, lo, hi int) {
		for r := lo; r < hi; r++ {
			off, rem := 0, r
			mul := 1
			for d := k - 1; d >= 0; d-- {
				off += (rem%inShape[d] + pads[2*d]) * mul
				rem /= inShape[d]
				mul *= shape[d]
			}
			off = (off*shape[k] + pads[2*k]) * tail
			copy(dst[off:off+block], src[r*block:(r+1)*block])
		}
	}
	run := func(in, out []*tval, threads int) {
		dst, src := out[0].data, in[0].data
		if fill == 0 {
			clear(dst)
		} else {
			for i := range dst {
				dst[i] = fill
			}
		}
		if len(src) > 0 {
			parallelFor(rows, len(src), threads, func(lo, hi int) { padRows(dst, src, lo, hi) })
		}
	}
	if rank == 0 {
		return aliasPrep(x, x.shape), nil
	}
	return &prep{outs: []*tval{{shape: shape, dt: x.dt}}, run: run}, nil
}

func prepareMean(n *node, in []*tval) (*prep, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("needs 2 inputs, has %d", len(in))
	}
	x := in[0]
	axes, err := constInts(in[1], "reduction axes")
	if err != nil {
		return nil, err
	}
	rank := len(x.shape)
	red := make([]bool, rank)
	for _, a := range axes {
		a, err := normAxis(a, rank)
		if err != nil {
			return nil, err
		}
		red[a] = true
	}
	keep := n.attrs.bool("keep_dims")
	var shape []int
	for d := range rank {
		switch {
		case !red[d]:
			shape = append(shape, x.shape[d])
		case keep:
			shape = append(shape, 1)
		}
	}
	if shape == nil {
		shape = []int{}
	}
	// reduce via an output index for every input element
	inShape := x.shape
	count := 1
	for d := range rank {
		if red[d] {
			count *= x.shape[d]
		}
	}
	if rank == 4 && !red[0] && red[1] && red[2] && !red[3] {
		// NHWC global average pooling, the common case: no per-run allocation.
		hw, c := x.shape[1]*x.shape[2], x.shape[3]
		run := func(in, out []*tval, _ int) {
			src, dst := in[0].data, out[0].data
			for b := range x.shape[0] {
				d := dst[b*c : (b+1)*c]
				clear(d)
				for p := range hw {
					s := src[(b*hw+p)*c : (b*hw+p+1)*c]
					for i := range d {
						d[i] += s[i]
					}
				}
				for i := range d {
					d[i] /= float32(hw)
				}
			}
		}
		return &prep{outs: []*tval{{shape: shape, dt: x.dt}}, run: run}, nil
	}
	if !red[rank-1] || count == 1 {
		goto general
	}
	for d := range rank - 1 {
		if red[d] && x.shape[d] != 1 {
			goto general
		}
	}
	{
		// mean over the last axis only (e.g. a channel mean): contiguous runs
		c := x.shape[rank-1]
		run := func(in, out []*tval, threads int) {
			src, dst := in[0].data, out[0].data
			parallelFor(len(dst), len(src), threads, func(lo, hi int) {
				if c == 3 { // RGB to grey, at full image resolution in rvm
					for i := lo; i < hi; i++ {
						dst[i] = (src[3*i] + src[3*i+1] + src[3*i+2]) / 3
					}
					return
				}
				for i := lo; i < hi; i++ {
					var sum float32
					for _, v := range src[i*c : (i+1)*c] {
						sum += v
					}
					dst[i] = sum / float32(c)
				}
			})
		}
		return &prep{outs: []*tval{{shape: shape, dt: x.dt}}, run: run}, nil
	}
general:
	run := func(in, out []*tval, _ int) {
		src, dst := in[0].data, out[0].data
		acc := make([]float64, len(dst))
		idx := make([]int, rank)
		for _, v := range src {
			o := 0
			for d := range rank {
				if !red[d] {
					o = o*inShape[d] + idx[d]
				}
			}
			acc[o] += float64(v)
			for d := rank - 1; d >= 0; d-- {
				idx[d]++
				if idx[d] < inShape[d] {
					break
				}
				idx[d] = 0
			}
		}
		for i := range dst {
			dst[i] = float32(acc[i] / float64(count))
		}
	}
	return &prep{outs: []*tval{{shape: shape, dt: x.dt}}, run: run}, nil
}
