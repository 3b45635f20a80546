package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Plain reference loops with TensorFlow's definitions, the twin the
// kernel-backed ops are checked against (padding resolution, strides,
// dilation, multiplier and fused epilogues included).

type refConv struct {
	n, h, w, c, kh, kw, m, sh, sw, dh, dw int
	same                                  bool
}

func (r refConv) geom() (oh, ow, pt, pl int) {
	ekh, ekw := (r.kh-1)*r.dh+1, (r.kw-1)*r.dw+1
	if r.same {
		oh, ow = (r.h+r.sh-1)/r.sh, (r.w+r.sw-1)/r.sw
		pt = max((oh-1)*r.sh+ekh-r.h, 0) / 2
		pl = max((ow-1)*r.sw+ekw-r.w, 0) / 2
		return
	}
	return (r.h-ekh)/r.sh + 1, (r.w-ekw)/r.sw + 1, 0, 0
}

// conv computes Conv2D (depthwise=false, filter [kh,kw,c,m]) or
// DepthwiseConv2dNative (filter [kh,kw,c,m], output channel c*m+q).
func (r refConv) conv(x, f []float32, depthwise bool) ([]float32, []int) {
	oh, ow, pt, pl := r.geom()
	oc := r.m
	if depthwise {
		oc = r.c * r.m
	}
	out := make([]float32, r.n*oh*ow*oc)
	for b := range r.n {
		for oy := range oh {
			for ox := range ow {
				for o := range oc {
					var acc float64
					for i := range r.kh {
						for j := range r.kw {
							y, xx := oy*r.sh-pt+i*r.dh, ox*r.sw-pl+j*r.dw
							if y < 0 || y >= r.h || xx < 0 || xx >= r.w {
								continue
							}
							if depthwise {
								c, q := o/r.m, o%r.m
								acc += float64(x[((b*r.h+y)*r.w+xx)*r.c+c]) * float64(f[((i*r.kw+j)*r.c+c)*r.m+q])
								continue
							}
							for c := range r.c {
								acc += float64(x[((b*r.h+y)*r.w+xx)*r.c+c]) * float64(f[((i*r.kw+j)*r.c+c)*r.m+o])
							}
						}
					}
					out[((b*oh+oy)*ow+ox)*oc+o] = float32(acc)
				}
			}
		}
	}
	return out, []int{r.n, oh, ow, oc}
}

// transpose computes Conv2DBackpropInput: x is the forward output [n,oh,ow,m]
// (m = the transpose's input channels), f is [kh,kw,c,m], result [n,h,w,c].
func (r refConv) transpose(x, f []float32) []float32 {
	oh, ow, pt, pl := r.geom()
	out := make([]float64, r.n*r.h*r.w*r.c)
	for b := range r.n {
		for oy := range oh {
			for ox := range ow {
				for i := range r.kh {
					for j := range r.kw {
						y, xx := oy*r.sh-pt+i*r.dh, ox*r.sw-pl+j*r.dw
						if y < 0 || y >= r.h || xx < 0 || xx >= r.w {
							continue
						}
						for c := range r.c {
							for q := range r.m {
								out[((b*r.h+y)*r.w+xx)*r.c+c] += float64(x[((b*oh+oy)*ow+ox)*r.m+q]) * float64(f[((i*r.kw+j)*r.c+c)*r.m+q])
							}
						}
					}
				}
			}
		}
	}
	res := make([]float32, len(out))
	for i, v := range out {
		res[i] = float32(v)
	}
	return res
}

func randData(rng *rand.Rand, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = rng.Float32()*2 - 1
	}
	return out
}

func closeEnough(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("%s: [%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestConvOpsAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := []refConv{
		{1, 7, 9, 3, 3, 3, 5, 1, 1, 1, 1, true},
		{2, 8, 8, 4, 3, 3, 6, 2, 2, 1, 1, true},
		{1, 9, 7, 5, 5, 5, 3, 2, 2, 1, 1, false},
		{1, 10, 10, 4, 3, 3, 4, 1, 1, 2, 2, true},
		{1, 6, 6, 16, 1, 1, 24, 1, 1, 1, 1, false},
		{1, 12, 12, 3, 3, 3, 8, 3, 3, 1, 1, false},
	}
	for _, r := range shapes {
		pad := "VALID"
		if r.same {
			pad = "SAME"
		}
		at := attrs{"strides": nhwc(int64(r.sh), int64(r.sw)), "dilations": nhwc(int64(r.dh), int64(r.dw)), "padding": aS(pad)}
		x := randData(rng, r.n*r.h*r.w*r.c)
		t.Run(fmt.Sprintf("Conv2D/%+v", r), func(t *testing.T) {
			f := randData(rng, r.kh*r.kw*r.c*r.m)
			want, shape := r.conv(x, f, false)
			got, err := runOp("Conv2D", at, 1, dyn([]int{r.n, r.h, r.w, r.c}, x...), cst([]int{r.kh, r.kw, r.c, r.m}, f...))
			if err != nil {
				t.Fatal(err)
			}
			if !sameShape(got[0].Shape, shape) {
				t.Fatalf("shape %v, want %v", got[0].Shape, shape)
			}
			closeEnough(t, "Conv2D", got[0].Data, want)

			// the same with a fused bias and relu6
			bias := randData(rng, r.m)
			fat := attrs{"fused_ops": aStrs("BiasAdd", "Relu6")}
			for k, v := range at {
				fat[k] = v
			}
			got, err = runOp("_FusedConv2D", fat, 1, dyn([]int{r.n, r.h, r.w, r.c}, x...), cst([]int{r.kh, r.kw, r.c, r.m}, f...), cst([]int{r.m}, bias...))
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				want[i] = min(max(want[i]+bias[i%r.m], 0), 6)
			}
			closeEnough(t, "_FusedConv2D", got[0].Data, want)
		})
		t.Run(fmt.Sprintf("Depthwise/%+v", r), func(t *testing.T) {
			rm := r
			rm.m = 1 + r.m%2 // multipliers 1 and 2
			f := randData(rng, rm.kh*rm.kw*rm.c*rm.m)
			want, shape := rm.conv(x, f, true)
			got, err := runOp("DepthwiseConv2dNative", at, 1, dyn([]int{r.n, r.h, r.w, r.c}, x...), cst([]int{rm.kh, rm.kw, rm.c, rm.m}, f...))
			if err != nil {
				t.Fatal(err)
			}
			if !sameShape(got[0].Shape, shape) {
				t.Fatalf("shape %v, want %v", got[0].Shape, shape)
			}
			closeEnough(t, "DepthwiseConv2dNative", got[0].Data, want)
		})
		if r.dh == 1 {
			t.Run(fmt.Sprintf("Conv2DBackpropInput/%+v", r), func(t *testing.T) {
				oh, ow, _, _ := r.geom()
				f := randData(rng, r.kh*r.kw*r.c*r.m)
				dy := randData(rng, r.n*oh*ow*r.m)
				want := r.transpose(dy, f)
				got, err := runOp("Conv2DBackpropInput", at, 1, icst([]int{4}, float32(r.n), float32(r.h), float32(r.w), float32(r.c)),
					cst([]int{r.kh, r.kw, r.c, r.m}, f...), dyn([]int{r.n, oh, ow, r.m}, dy...))
				if err != nil {
					t.Fatal(err)
				}
				closeEnough(t, "Conv2DBackpropInput", got[0].Data, want)
			})
		}
	}
}

// TestFusion checks that a bias add and activation after a convolution, and
// an activation after an add, are folded (the readers become Identity) and
// give the same numbers as unfused execution.
func TestFusion(t *testing.T) {
	g := &graph{byName: map[string]int{}}
	add := func(n *node) int {
		if n.attrs == nil {
			n.attrs = attrs{}
		}
		g.nodes = append(g.nodes, n)
		g.byName[n.name] = len(g.nodes) - 1
		return len(g.nodes) - 1
	}
	x := add(&node{name: "x", op: "Placeholder"})
	f := add(&node{name: "f", op: "Const", value: &tval{shape: []int{1, 1, 1, 2}, data: f32(1, -1)}})
	b := add(&node{name: "b", op: "Const", value: &tval{shape: []int{2}, data: f32(0.5, 0.5)}})
	alpha := add(&node{name: "alpha", op: "Const", value: &tval{shape: []int{1, 1, 2}, data: f32(0.1, 0.2)}})
	conv := add(&node{name: "conv", op: "Conv2D", in: []ref{{x, 0}, {f, 0}}, attrs: attrs{"padding": aS("VALID")}})
	bias := add(&node{name: "bias", op: "BiasAdd", in: []ref{{conv, 0}, {b, 0}}})
	act := add(&node{name: "act", op: "Prelu", in: []ref{{bias, 0}, {alpha, 0}}})
	sum := add(&node{name: "sum", op: "AddV2", in: []ref{{act, 0}, {act, 0}}})
	relu := add(&node{name: "relu", op: "Relu", in: []ref{{sum, 0}}})
	g.inputs = []sigEntry{{"x", ref{x, 0}}}
	g.outputs = []sigEntry{{"y", ref{relu, 0}}}
	fuseGraph(g)
	for _, id := range []int{bias, act, relu} {
		if op := g.nodes[id].op; op != "Identity" {
			t.Errorf("node %s is %s after fusion, want Identity", g.nodes[id].name, op)
		}
	}
	m := newModel(g)
	out, err := m.Run(t.Context(), map[string]*Tensor{"x": tens([]int{1, 1, 2, 1}, 1, -2)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// conv: [1,-1] and [-2,2]; +0.5: [1.5,-0.5], [-1.5,2.5]; prelu: [1.5,-0.1], [-0.15,2.5];
	// doubled then relu: [3,0], [0,5]
	want := f32(3, 0, 0, 5)
	closeEnough(t, "fused graph", out["y"].Data, want)
}

// refResize is ResizeBilinear straight from TensorFlow's definition.
func refResize(x []float32, n, h, w, c, oh, ow int, alignCorners, halfPixel bool) []float32 {
	scale := func(in, out int) float64 {
		if alignCorners && out > 1 {
			return float64(in-1) / float64(out-1)
		}
		return float64(in) / float64(out)
	}
	src := func(i int, s float64) float64 {
		if halfPixel {
			return (float64(i)+0.5)*s - 0.5
		}
		return float64(i) * s
	}
	sy, sx := scale(h, oh), scale(w, ow)
	out := make([]float32, n*oh*ow*c)
	for b := range n {
		for y := range oh {
			fy := src(y, sy)
			y0, y1 := max(int(math.Floor(fy)), 0), min(int(math.Ceil(fy)), h-1)
			dy := fy - math.Floor(fy)
			for xx := range ow {
				fx := src(xx, sx)
				x0, x1 := max(int(math.Floor(fx)), 0), min(int(math.Ceil(fx)), w-1)
				dx := fx - math.Floor(fx)
				for ch := range c {
					v := func(yy, xi int) float64 { return float64(x[((b*h+yy)*w+xi)*c+ch]) }
					top := v(y0, x0) + (v(y0, x1)-v(y0, x0))*dx
					bot := v(y1, x0) + (v(y1, x1)-v(y1, x0))*dx
					out[((b*oh+y)*ow+xx)*c+ch] = float32(top + (bot-top)*dy)
				}
			}
		}
	}
	return out
}

func TestResizeBilinearAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ n, h, w, ch, oh, ow int }{
		{1, 4, 5, 3, 16, 20}, {2, 9, 7, 2, 4, 3}, {1, 3, 3, 1, 7, 11}, {1, 8, 8, 4, 8, 8},
	} {
		x := randData(rng, c.n*c.h*c.w*c.ch)
		for _, mode := range []struct{ ac, hp bool }{{false, false}, {true, false}, {false, true}} {
			at := attrs{"align_corners": aB(mode.ac), "half_pixel_centers": aB(mode.hp)}
			got, err := runOp("ResizeBilinear", at, 1, dyn([]int{c.n, c.h, c.w, c.ch}, x...), icst([]int{2}, float32(c.oh), float32(c.ow)))
			if err != nil {
				t.Fatal(err)
			}
			closeEnough(t, fmt.Sprintf("ResizeBilinear %+v %+v", c, mode), got[0].Data, refResize(x, c.n, c.h, c.w, c.ch, c.oh, c.ow, mode.ac, mode.hp))
		}
	}
}
