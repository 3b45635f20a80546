package nn

import (
	"context"
	"fmt"
	"math"
	"testing"
)

// Attribute constructors for hand-built test graphs.
func aI(v int) attr              { return attr{kind: 'i', i: int64(v)} }
func aB(v bool) attr             { return attr{kind: 'b', b: v} }
func aS(v string) attr           { return attr{kind: 's', s: v} }
func aT(v string) attr           { return attr{kind: 't', ty: v} }
func aF(v float32) attr          { return attr{kind: 'f', f: v} }
func aStrs(v ...string) attr     { return attr{kind: 'l', ss: v} }
func aInts(v ...int64) attr      { return attr{kind: 'l', is: v} }
func nhwc(h, w int64) attr       { return aInts(1, h, w, 1) }
func f32(v ...float32) []float32 { return v }

// in describes one input of a single-op test graph: a constant, or a
// run-time input (a Placeholder fed with the same data) when dyn is set.
type in struct {
	shape []int
	data  []float32
	dt    dtype
	dyn   bool
}

func cst(shape []int, data ...float32) in  { return in{shape: shape, data: data} }
func icst(shape []int, data ...float32) in { return in{shape: shape, data: data, dt: dtInt} }
func dyn(shape []int, data ...float32) in  { return in{shape: shape, data: data, dyn: true} }
func iota32(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(i)
	}
	return out
}

// runOp builds a graph holding one node of op over ins and returns its outputs.
func runOp(op string, at attrs, nout int, ins ...in) ([]*Tensor, error) {
	g := &graph{byName: map[string]int{}}
	add := func(n *node) int {
		g.nodes = append(g.nodes, n)
		g.byName[n.name] = len(g.nodes) - 1
		return len(g.nodes) - 1
	}
	feeds := map[string]*Tensor{}
	var refs []ref
	for i, x := range ins {
		name := fmt.Sprintf("in%d", i)
		n := &node{name: name, op: "Const", dt: x.dt, attrs: attrs{}}
		if x.dyn {
			n.op = "Placeholder"
			feeds[name] = &Tensor{Shape: x.shape, Data: x.data}
		} else {
			n.value = &tval{shape: x.shape, data: x.data, dt: x.dt}
		}
		id := add(n)
		if x.dyn {
			g.inputs = append(g.inputs, sigEntry{name, ref{id, 0}})
		}
		refs = append(refs, ref{id, 0})
	}
	if at == nil {
		at = attrs{}
	}
	id := add(&node{name: "op", op: op, in: refs, attrs: at})
	for k := range nout {
		g.outputs = append(g.outputs, sigEntry{fmt.Sprintf("out%d", k), ref{id, k}})
	}
	fuseGraph(g)
	m := newModel(g)
	res, err := m.Run(context.Background(), feeds, &RunOptions{Threads: 2})
	if err != nil {
		return nil, err
	}
	out := make([]*Tensor, nout)
	for k := range nout {
		out[k] = res[fmt.Sprintf("out%d", k)]
	}
	return out, nil
}

type opCase struct {
	name  string
	op    string
	attrs attrs
	ins   []in
	want  []*Tensor
	tol   float64
}

func tens(shape []int, data ...float32) *Tensor { return &Tensor{Shape: shape, Data: data} }

func checkOp(t *testing.T, c opCase) {
	t.Helper()
	got, err := runOp(c.op, c.attrs, len(c.want), c.ins...)
	if err != nil {
		t.Fatalf("%s: %v", c.op, err)
	}
	tol := c.tol
	if tol == 0 {
		tol = 1e-6
	}
	for k, w := range c.want {
		g := got[k]
		if !sameShape(g.Shape, w.Shape) {
			t.Fatalf("%s output %d: shape %v, want %v", c.op, k, g.Shape, w.Shape)
		}
		for i := range w.Data {
			if math.Abs(float64(g.Data[i]-w.Data[i])) > tol || math.IsNaN(float64(g.Data[i])) != math.IsNaN(float64(w.Data[i])) {
				t.Fatalf("%s output %d = %v, want %v", c.op, k, g.Data, w.Data)
			}
		}
	}
}

func TestElementwiseOps(t *testing.T) {
	s := []int{2, 2}
	cases := []opCase{
		{name: "Add broadcast row", op: "Add", ins: []in{dyn(s, 1, 2, 3, 4), cst([]int{2}, 10, 20)}, want: []*Tensor{tens(s, 11, 22, 13, 24)}},
		{name: "AddV2 broadcast column", op: "AddV2", ins: []in{dyn([]int{2, 1}, 1, 2), dyn([]int{1, 3}, 10, 20, 30)}, want: []*Tensor{tens([]int{2, 3}, 11, 21, 31, 12, 22, 32)}},
		{name: "Sub scalar left", op: "Sub", ins: []in{cst([]int{}, 1), dyn(s, 1, 2, 3, 4)}, want: []*Tensor{tens(s, 0, -1, -2, -3)}},
		{name: "Mul", op: "Mul", ins: []in{dyn(s, 1, 2, 3, 4), dyn(s, 2, 2, -1, 0)}, want: []*Tensor{tens(s, 2, 4, -3, 0)}},
		{name: "RealDiv", op: "RealDiv", ins: []in{dyn(s, 1, 2, 3, 4), dyn(s, 2, 4, -1, 8)}, want: []*Tensor{tens(s, 0.5, 0.5, -3, 0.5)}},
		{name: "Maximum", op: "Maximum", ins: []in{dyn(s, 1, -2, 3, -4), cst([]int{}, 0)}, want: []*Tensor{tens(s, 1, 0, 3, 0)}},
		{name: "Minimum", op: "Minimum", ins: []in{dyn(s, 1, -2, 3, -4), cst([]int{}, 1)}, want: []*Tensor{tens(s, 1, -2, 1, -4)}},
		{name: "FloorMod sign follows divisor", op: "FloorMod", ins: []in{dyn(s, 7, -7, 7, -7), dyn(s, 3, 3, -3, -3)}, want: []*Tensor{tens(s, 1, 2, -2, -1)}},
		{name: "Equal", op: "Equal", ins: []in{dyn(s, 1, 2, 3, 4), cst([]int{}, 3)}, want: []*Tensor{tens(s, 0, 0, 1, 0)}},
		{name: "BiasAdd", op: "BiasAdd", ins: []in{dyn([]int{1, 2, 2}, 1, 2, 3, 4), cst([]int{2}, 1, -1)}, want: []*Tensor{tens([]int{1, 2, 2}, 2, 1, 4, 3)}},
		{name: "Prelu per channel", op: "Prelu", ins: []in{dyn(s, -1, -2, 3, -4), cst([]int{2}, 0.5, 0.25)}, want: []*Tensor{tens(s, -0.5, -0.5, 3, -1)}},
		{name: "AddN", op: "AddN", ins: []in{dyn(s, 1, 2, 3, 4), dyn(s, 1, 1, 1, 1), cst(s, 0, 0, 0, 10)}, want: []*Tensor{tens(s, 2, 3, 4, 15)}},
		{name: "Relu", op: "Relu", ins: []in{dyn(s, -1, 0, 2, -3)}, want: []*Tensor{tens(s, 0, 0, 2, 0)}},
		{name: "Relu6", op: "Relu6", ins: []in{dyn(s, -1, 3, 6, 9)}, want: []*Tensor{tens(s, 0, 3, 6, 6)}},
		{name: "Sigmoid", op: "Sigmoid", ins: []in{dyn(s, 0, 1, -1, 20)}, want: []*Tensor{tens(s, 0.5, 0.7310586, 0.26894143, 1)}},
		{name: "Tanh", op: "Tanh", ins: []in{dyn(s, 0, 1, -1, 20)}, want: []*Tensor{tens(s, 0, 0.7615942, -0.7615942, 1)}},
		{name: "Square", op: "Square", ins: []in{dyn(s, -2, 0, 1.5, 3)}, want: []*Tensor{tens(s, 4, 0, 2.25, 9)}},
		{name: "Cast float to int truncates", op: "Cast", attrs: attrs{"DstT": aT("DT_INT32")}, ins: []in{dyn(s, 1.7, -1.7, 2, -0.5)}, want: []*Tensor{tens(s, 1, -1, 2, 0)}},
		{name: "Cast to bool", op: "Cast", attrs: attrs{"DstT": aT("DT_BOOL")}, ins: []in{dyn(s, 0, 0.1, -3, 0)}, want: []*Tensor{tens(s, 0, 1, 1, 0)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkOp(t, c) })
	}
}

func TestShapeOps(t *testing.T) {
	x := iota32(24)
	s := []int{2, 3, 4}
	cases := []opCase{
		{name: "Identity", op: "Identity", ins: []in{dyn([]int{2}, 1, 2)}, want: []*Tensor{tens([]int{2}, 1, 2)}},
		{name: "Reshape infers -1", op: "Reshape", ins: []in{dyn(s, x...), icst([]int{2}, 4, -1)}, want: []*Tensor{tens([]int{4, 6}, x...)}},
		{name: "Squeeze all", op: "Squeeze", ins: []in{dyn([]int{1, 2, 1}, 5, 6)}, want: []*Tensor{tens([]int{2}, 5, 6)}},
		{name: "Squeeze dims", op: "Squeeze", attrs: attrs{"squeeze_dims": aInts(0)}, ins: []in{dyn([]int{1, 2, 1}, 5, 6)}, want: []*Tensor{tens([]int{2, 1}, 5, 6)}},
		{name: "Shape", op: "Shape", ins: []in{dyn(s, x...)}, want: []*Tensor{tens([]int{3}, 2, 3, 4)}},
		{name: "ConcatV2 axis -1", op: "ConcatV2", ins: []in{dyn([]int{2, 1}, 1, 2), dyn([]int{2, 2}, 3, 4, 5, 6), icst([]int{}, -1)}, want: []*Tensor{tens([]int{2, 3}, 1, 3, 4, 2, 5, 6)}},
		{name: "Pack axis 0", op: "Pack", attrs: attrs{"axis": aI(0)}, ins: []in{dyn([]int{2}, 1, 2), dyn([]int{2}, 3, 4)}, want: []*Tensor{tens([]int{2, 2}, 1, 2, 3, 4)}},
		{name: "Pack axis 1", op: "Pack", attrs: attrs{"axis": aI(1)}, ins: []in{icst([]int{2}, 1, 2), icst([]int{2}, 3, 4)}, want: []*Tensor{tens([]int{2, 2}, 1, 3, 2, 4)}},
		{name: "Split", op: "Split", attrs: attrs{"num_split": aI(2)}, ins: []in{icst([]int{}, 2), dyn(s, x...)},
			want: []*Tensor{tens([]int{2, 3, 2}, 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21), tens([]int{2, 3, 2}, 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23)}},
		{name: "SplitV with -1", op: "SplitV", attrs: attrs{"num_split": aI(2)}, ins: []in{dyn([]int{1, 4}, 1, 2, 3, 4), icst([]int{2}, 1, -1), icst([]int{}, 1)},
			want: []*Tensor{tens([]int{1, 1}, 1), tens([]int{1, 3}, 2, 3, 4)}},
		{name: "Slice whole tensor", op: "Slice", ins: []in{dyn(s, x...), icst([]int{3}, 0, 0, 0), icst([]int{3}, -1, 3, -1)}, want: []*Tensor{tens(s, x...)}},
		{name: "Slice size -1", op: "Slice", ins: []in{dyn(s, x...), icst([]int{3}, 1, 1, 2), icst([]int{3}, 1, -1, 1)}, want: []*Tensor{tens([]int{1, 2, 1}, 18, 22)}},
		{name: "StridedSlice shrink", op: "StridedSlice", attrs: attrs{"shrink_axis_mask": aI(1)},
			ins: []in{icst([]int{4}, 1, 2, 3, 4), icst([]int{1}, 1), icst([]int{1}, 2), icst([]int{1}, 1)}, want: []*Tensor{tens([]int{}, 2)}},
		{name: "StridedSlice masks and negative stride", op: "StridedSlice", attrs: attrs{"begin_mask": aI(1), "end_mask": aI(2)},
			ins: []in{dyn(s, x...), icst([]int{2}, 0, 2), icst([]int{2}, 1, 0), icst([]int{2}, 1, -1)}, want: []*Tensor{tens([]int{1, 3, 4}, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3)}},
		{name: "StridedSlice ellipsis new axis", op: "StridedSlice", attrs: attrs{"ellipsis_mask": aI(1), "new_axis_mask": aI(2)},
			ins: []in{dyn([]int{2, 2}, 1, 2, 3, 4), icst([]int{2}, 0, 0), icst([]int{2}, 0, 0), icst([]int{2}, 1, 1)}, want: []*Tensor{tens([]int{2, 2, 1}, 1, 2, 3, 4)}},
		{name: "StridedSlice step 2", op: "StridedSlice",
			ins: []in{dyn([]int{5}, 0, 1, 2, 3, 4), icst([]int{1}, 0), icst([]int{1}, 5), icst([]int{1}, 2)}, want: []*Tensor{tens([]int{3}, 0, 2, 4)}},
		{name: "BroadcastTo scalar", op: "BroadcastTo", ins: []in{dyn([]int{}, 7), icst([]int{2}, 2, 2)}, want: []*Tensor{tens([]int{2, 2}, 7, 7, 7, 7)}},
		{name: "BroadcastTo row", op: "BroadcastTo", ins: []in{dyn([]int{1, 2}, 1, 2), icst([]int{2}, 3, 2)}, want: []*Tensor{tens([]int{3, 2}, 1, 2, 1, 2, 1, 2)}},
		{name: "Pad", op: "Pad", ins: []in{dyn([]int{1, 2}, 1, 2), icst([]int{2, 2}, 1, 0, 1, 2)}, want: []*Tensor{tens([]int{2, 5}, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0)}},
		{name: "Mean spatial keep_dims", op: "Mean", attrs: attrs{"keep_dims": aB(true)}, ins: []in{dyn([]int{1, 2, 2, 2}, 1, 10, 2, 20, 3, 30, 4, 40), icst([]int{2}, 1, 2)}, want: []*Tensor{tens([]int{1, 1, 1, 2}, 2.5, 25)}},
		{name: "Mean last axis", op: "Mean", attrs: attrs{"keep_dims": aB(true)}, ins: []in{dyn([]int{2, 2}, 1, 3, 5, 9), icst([]int{}, -1)}, want: []*Tensor{tens([]int{2, 1}, 2, 7)}},
		{name: "Mean axis 0 drop", op: "Mean", ins: []in{dyn([]int{2, 2}, 1, 3, 5, 9), icst([]int{1}, 0)}, want: []*Tensor{tens([]int{2}, 3, 6)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkOp(t, c) })
	}
}

func TestSpatialOps(t *testing.T) {
	img := iota32(16) // [1,4,4,1]
	s4 := []int{1, 4, 4, 1}
	cases := []opCase{
		{name: "MaxPool VALID", op: "MaxPool", attrs: attrs{"ksize": nhwc(2, 2), "strides": nhwc(2, 2), "padding": aS("VALID")},
			ins: []in{dyn(s4, img...)}, want: []*Tensor{tens([]int{1, 2, 2, 1}, 5, 7, 13, 15)}},
		{name: "AvgPool SAME excludes padding", op: "AvgPool", attrs: attrs{"ksize": nhwc(3, 3), "strides": nhwc(2, 2), "padding": aS("SAME")},
			ins: []in{dyn(s4, img...)}, want: []*Tensor{tens([]int{1, 2, 2, 1}, 5, 6.5, 11, 12.5)}},
		{name: "ResizeBilinear legacy", op: "ResizeBilinear", ins: []in{dyn([]int{1, 1, 2, 1}, 0, 10), icst([]int{2}, 1, 4)},
			want: []*Tensor{tens([]int{1, 1, 4, 1}, 0, 5, 10, 10)}},
		{name: "ResizeBilinear half_pixel_centers", op: "ResizeBilinear", attrs: attrs{"half_pixel_centers": aB(true)},
			ins: []in{dyn([]int{1, 1, 2, 1}, 0, 10), icst([]int{2}, 1, 4)}, want: []*Tensor{tens([]int{1, 1, 4, 1}, 0, 2.5, 7.5, 10)}},
		{name: "ResizeBilinear align_corners", op: "ResizeBilinear", attrs: attrs{"align_corners": aB(true)},
			ins: []in{dyn([]int{1, 1, 2, 1}, 0, 9), icst([]int{2}, 1, 4)}, want: []*Tensor{tens([]int{1, 1, 4, 1}, 0, 3, 6, 9)}},
		{name: "SpaceToBatchND", op: "SpaceToBatchND", ins: []in{dyn([]int{1, 2, 2, 1}, 1, 2, 3, 4), icst([]int{2}, 2, 2), icst([]int{2, 2}, 0, 0, 0, 0)},
			want: []*Tensor{tens([]int{4, 1, 1, 1}, 1, 2, 3, 4)}},
		{name: "SpaceToBatchND padded", op: "SpaceToBatchND", ins: []in{dyn([]int{1, 2, 1, 1}, 1, 2), icst([]int{2}, 2, 2), icst([]int{2, 2}, 0, 0, 1, 0)},
			want: []*Tensor{tens([]int{4, 1, 1, 1}, 0, 1, 0, 2)}},
		{name: "BatchToSpaceND crops", op: "BatchToSpaceND", ins: []in{dyn([]int{4, 1, 1, 1}, 1, 2, 3, 4), icst([]int{2}, 2, 2), icst([]int{2, 2}, 0, 1, 0, 0)},
			want: []*Tensor{tens([]int{1, 1, 2, 1}, 1, 2)}},
		{name: "MatMul", op: "MatMul", ins: []in{dyn([]int{2, 3}, 1, 2, 3, 4, 5, 6), cst([]int{3, 2}, 1, 0, 0, 1, 1, 1)}, want: []*Tensor{tens([]int{2, 2}, 4, 5, 10, 11)}},
		{name: "MatMul computed weight", op: "MatMul", ins: []in{dyn([]int{2, 3}, 1, 2, 3, 4, 5, 6), dyn([]int{3, 2}, 1, 0, 0, 1, 1, 1)}, want: []*Tensor{tens([]int{2, 2}, 4, 5, 10, 11)}},
		{name: "MatMul transpose_a", op: "MatMul", attrs: attrs{"transpose_a": aB(true)}, ins: []in{dyn([]int{3, 2}, 1, 4, 2, 5, 3, 6), cst([]int{3, 2}, 1, 0, 0, 1, 1, 1)}, want: []*Tensor{tens([]int{2, 2}, 4, 5, 10, 11)}},
		{name: "MatMul transpose_b", op: "MatMul", attrs: attrs{"transpose_b": aB(true)}, ins: []in{dyn([]int{1, 2}, 1, 2), cst([]int{2, 2}, 1, 2, 3, 4)}, want: []*Tensor{tens([]int{1, 2}, 5, 11)}},
		// 3x3 box filter on a ones image, SAME: corners see 4 taps, edges 6, centre 9.
		{name: "Conv2D SAME", op: "Conv2D", attrs: attrs{"strides": nhwc(1, 1), "padding": aS("SAME")},
			ins:  []in{dyn([]int{1, 3, 3, 1}, 1, 1, 1, 1, 1, 1, 1, 1, 1), cst([]int{3, 3, 1, 1}, 1, 1, 1, 1, 1, 1, 1, 1, 1)},
			want: []*Tensor{tens([]int{1, 3, 3, 1}, 4, 6, 4, 6, 9, 6, 4, 6, 4)}},
		{name: "_FusedConv2D bias relu", op: "_FusedConv2D", attrs: attrs{"strides": nhwc(1, 1), "padding": aS("VALID"), "fused_ops": aStrs("BiasAdd", "Relu"), "num_args": aI(1)},
			ins:  []in{dyn([]int{1, 1, 2, 2}, 1, 2, 3, 4), cst([]int{1, 1, 2, 2}, 1, -1, 1, -1), cst([]int{2}, 0, 1)},
			want: []*Tensor{tens([]int{1, 1, 2, 2}, 3, 0, 7, 0)}},
		{name: "_FusedConv2D bias prelu stride 2", op: "_FusedConv2D", attrs: attrs{"strides": nhwc(2, 2), "padding": aS("VALID"), "fused_ops": aStrs("BiasAdd", "Prelu"), "num_args": aI(2)},
			ins:  []in{dyn(s4, img...), cst([]int{1, 1, 1, 1}, -1), cst([]int{1}, 1), cst([]int{1}, 0.5)},
			want: []*Tensor{tens([]int{1, 2, 2, 1}, 1, -0.5, -3.5, -4.5)}},
		{name: "DepthwiseConv2dNative multiplier 2", op: "DepthwiseConv2dNative", attrs: attrs{"strides": nhwc(1, 1), "padding": aS("VALID")},
			ins: []in{dyn([]int{1, 1, 1, 2}, 1, 2), cst([]int{1, 1, 2, 2}, 1, 2, 3, 4)}, want: []*Tensor{tens([]int{1, 1, 1, 4}, 1, 2, 6, 8)}},
		{name: "FusedDepthwiseConv2dNative bias relu", op: "FusedDepthwiseConv2dNative", attrs: attrs{"strides": nhwc(1, 1), "padding": aS("SAME"), "fused_ops": aStrs("BiasAdd", "Relu")},
			ins: []in{dyn([]int{1, 1, 3, 1}, 1, 2, 3), cst([]int{1, 3, 1, 1}, 1, 1, -1), cst([]int{1}, 0)}, want: []*Tensor{tens([]int{1, 1, 3, 1}, 0, 0, 5)}},
		// Transposed 2x2 stride 2 conv of a 1x1 input scatters the filter.
		{name: "Conv2DBackpropInput", op: "Conv2DBackpropInput", attrs: attrs{"strides": nhwc(2, 2), "padding": aS("SAME")},
			ins: []in{icst([]int{4}, 1, 2, 2, 1), cst([]int{2, 2, 1, 1}, 1, 2, 3, 4), dyn([]int{1, 1, 1, 1}, 10)}, want: []*Tensor{tens([]int{1, 2, 2, 1}, 10, 20, 30, 40)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkOp(t, c) })
	}
}
