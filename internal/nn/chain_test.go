package nn

import (
	"math"
	"testing"
)

// TestChainFusion builds x -> hard-swish -> *channel scale -> +1 -> sigmoid,
// checks it runs as a single step and matches the formula.
func TestChainFusion(t *testing.T) {
	g := &graph{byName: map[string]int{}}
	add := func(n *node) int {
		if n.attrs == nil {
			n.attrs = attrs{}
		}
		g.nodes = append(g.nodes, n)
		g.byName[n.name] = len(g.nodes) - 1
		return len(g.nodes) - 1
	}
	c := func(name string, shape []int, v ...float32) int {
		return add(&node{name: name, op: "Const", value: &tval{shape: shape, data: v}})
	}
	x := add(&node{name: "x", op: "Placeholder"})
	three, sixth := c("three", []int{}, 3), c("sixth", []int{}, 1.0/6)
	scale := c("scale", []int{3}, 1, -2, 0.5)
	one := c("one", []int{1, 1, 1, 1}, 1)
	a := add(&node{name: "a", op: "AddV2", in: []ref{{x, 0}, {three, 0}}})
	r := add(&node{name: "r", op: "Relu6", in: []ref{{a, 0}}})
	m := add(&node{name: "m", op: "Mul", in: []ref{{x, 0}, {r, 0}}})
	hs := add(&node{name: "hs", op: "Mul", in: []ref{{m, 0}, {sixth, 0}}})
	sc := add(&node{name: "sc", op: "Mul", in: []ref{{scale, 0}, {hs, 0}}})
	p1 := add(&node{name: "p1", op: "Sub", in: []ref{{sc, 0}, {one, 0}}})
	sg := add(&node{name: "sg", op: "Sigmoid", in: []ref{{p1, 0}}})
	g.inputs = []sigEntry{{"x", ref{x, 0}}}
	g.outputs = []sigEntry{{"y", ref{sg, 0}}}
	model := newModel(g)

	const n = 1000 // > one tile, not a multiple of it
	in := NewTensor(1, 1, n, 3)
	for i := range in.Data {
		in.Data[i] = float32(i%17) - 8
	}
	feeds := []*Tensor{in}
	pl, err := model.planFor(feeds)
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.steps) != 1 {
		t.Errorf("plan has %d steps, want the chain fused into 1", len(pl.steps))
	}
	for _, threads := range []int{1, 2} {
		out, err := model.Run(t.Context(), map[string]*Tensor{"x": in}, &RunOptions{Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		s := []float32{1, -2, 0.5}
		for i, v := range in.Data {
			hsw := v * min(max(v+3, 0), 6) * float32(1.0/6)
			want := 1 / (1 + math.Exp(-float64(s[i%3]*hsw-1)))
			if got := out["y"].Data[i]; math.Abs(float64(got)-want) > 1e-6 {
				t.Fatalf("threads=%d y[%d] = %v, want %v", threads, i, got, want)
			}
		}
	}
}
