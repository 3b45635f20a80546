package nn

import (
	"strings"
	"testing"
)

// condGraph is a TF1 conditional, as rvm uses for downsample_ratio == 1:
//
//	pred = Equal(s, 1)
//	then: Switch(x, pred):1 -> Mul 2        (skipped unless pred)
//	else: Switch(x, pred):0 -> Add 100      (skipped when pred)
//	y = Merge(else, then); idx = Merge:1
//	done = NoOp(^then, ^else) feeds a control edge of the output Identity,
//	branch = Merge(^then-pivot ...) whose dead control inputs must not kill it.
func condGraph() *graph {
	g := &graph{byName: map[string]int{}}
	add := func(n *node) int {
		if n.attrs == nil {
			n.attrs = attrs{}
		}
		g.nodes = append(g.nodes, n)
		g.byName[n.name] = len(g.nodes) - 1
		return len(g.nodes) - 1
	}
	c := func(name string, v float32) int {
		return add(&node{name: name, op: "Const", value: &tval{shape: []int{}, data: []float32{v}}})
	}
	x := add(&node{name: "x", op: "Placeholder"})
	s := add(&node{name: "s", op: "Placeholder"})
	one, two, hundred := c("one", 1), c("two", 2), c("hundred", 100)
	pred := add(&node{name: "pred", op: "Equal", in: []ref{{s, 0}, {one, 0}}})
	sw := add(&node{name: "sw", op: "Switch", in: []ref{{x, 0}, {pred, 0}}})
	pivotT := add(&node{name: "pivot_t", op: "Identity", in: []ref{{sw, 1}}})
	thenV := add(&node{name: "then", op: "Mul", in: []ref{{pivotT, 0}, {two, 0}}})
	elseV := add(&node{name: "else", op: "AddV2", in: []ref{{sw, 0}, {hundred, 0}}})
	merge := add(&node{name: "merge", op: "Merge", in: []ref{{elseV, 0}, {thenV, 0}}})
	// live whichever branch runs: constants with dead control inputs are dead,
	// but a Merge only needs one live data input.
	kT := add(&node{name: "kt", op: "Const", ctrl: []int{pivotT}, value: &tval{shape: []int{}, data: []float32{1}}})
	kE := add(&node{name: "ke", op: "Const", ctrl: []int{elseV}, value: &tval{shape: []int{}, data: []float32{0}}})
	executed := add(&node{name: "executed", op: "Merge", in: []ref{{kT, 0}, {kE, 0}}, ctrl: []int{thenV, elseV}})
	done := add(&node{name: "done", op: "NoOp", ctrl: []int{executed}})
	y := add(&node{name: "y", op: "Identity", in: []ref{{merge, 0}}, ctrl: []int{done}})
	g.inputs = []sigEntry{{"s", ref{s, 0}}, {"x", ref{x, 0}}}
	g.outputs = []sigEntry{{"idx", ref{merge, 1}}, {"y", ref{y, 0}}, {"branch", ref{executed, 0}}}
	return g
}

func TestSwitchMerge(t *testing.T) {
	m := newModel(condGraph())
	for _, c := range []struct {
		s                 float32
		y, idx, branchVal float32
	}{
		{s: 1, y: 6, idx: 1, branchVal: 1},     // then: 3*2
		{s: 0.5, y: 103, idx: 0, branchVal: 0}, // else: 3+100
	} {
		out, err := m.Run(t.Context(), map[string]*Tensor{"x": tens([]int{1}, 3), "s": tens([]int{}, c.s)}, nil)
		if err != nil {
			t.Fatalf("s=%v: %v", c.s, err)
		}
		if out["y"].Data[0] != c.y || out["idx"].Data[0] != c.idx || out["branch"].Data[0] != c.branchVal {
			t.Errorf("s=%v: y=%v idx=%v branch=%v, want %v %v %v", c.s, out["y"].Data, out["idx"].Data, out["branch"].Data, c.y, c.idx, c.branchVal)
		}
	}
}

func TestSwitchNeedsKnownPredicate(t *testing.T) {
	g := condGraph()
	// feed the predicate from a run-time tensor: not supported, must be an error
	m := newModel(g)
	_, err := m.Run(t.Context(), map[string]*Tensor{"x": tens([]int{1}, 3), "s": tens([]int{1}, 1)}, nil)
	if err == nil || !strings.Contains(err.Error(), `node "sw"`) {
		t.Fatalf("Run with a run-time predicate = %v, want an error naming node \"sw\"", err)
	}
}
