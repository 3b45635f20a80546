package nn

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// tval is a tensor inside the runtime: a shape, an element type and its data.
// During planning data is non-nil only for values known before any run
// (constants, and everything computed from constants, shapes and scalar inputs).
type tval struct {
	shape []int
	data  []float32
	dt    dtype
}

func (t *tval) size() int { return numElems(t.shape) }

// kernelFn computes a step's outputs from its inputs. It must not keep
// references to the slices after returning.
type kernelFn func(in, out []*tval, threads int)

// prep is what an op's prepare function decides at plan time.
type prep struct {
	outs  []*tval // shapes and types; data nil
	alias []int   // per output: index of the input whose storage it shares, or -1
	run   kernelFn
	flops int64 // multiply-adds x2 of the heavy ops, for benchmarks
	// ew describes an element-wise op for chain fusion; its externals are
	// input positions until the planner maps them to value ids.
	ew *ewChain
}

// prepareFn checks an op's inputs (shapes always, data when known) and returns
// its output shapes and the function that computes it.
type prepareFn func(n *node, in []*tval) (*prep, error)

// step is one scheduled op of a plan.
type step struct {
	node int
	in   []int // value ids
	out  []int // value ids
	run  kernelFn
	// elementwise steps read each full-size input only at the index they
	// write, so their output may overwrite such an input in place.
	elementwise bool
}

// storage kinds
const (
	stArena = iota // a reusable buffer of the run's arena
	stInput        // a caller's input tensor
	stFresh        // a graph output: a new slice each run
	stConst        // plan-time constant
)

type storage struct {
	kind  int
	size  int
	input int // stInput: index into feeds
	slot  int // stArena: offset in the arena buffer
	// placed is set for arena storages some step writes (fused-away
	// intermediates are never materialised)
	placed bool
	last   int // last step that reads it
}

// plan is the execution plan for one input signature: the steps in order, the
// values they pass and where in the arena each one lives.
type plan struct {
	steps     []step
	vals      []*tval // templates: shape and dt; data set for constants
	valStore  []int   // value id -> storage id
	stores    []storage
	arenaSize int   // elements
	outputs   []int // value ids of the graph outputs, in graph.outputs order
	outKeys   []string
	flops     int64 // per run, convolutions and matrix products only
	// idle arenas kept for the next runs (a sync.Pool would drop them at
	// every GC, and re-faulting tens of MB costs more than keeping them)
	mu   sync.Mutex
	idle []*arena
}

// buildPlan walks the graph in topological order with the given feeds,
// folding everything computable before a run and scheduling the rest.
func buildPlan(g *graph, feeds []*Tensor) (*plan, error) {
	order, err := topoOrder(g)
	if err != nil {
		return nil, err
	}
	p := &plan{}
	var ews []*ewChain // per step
	// vid[node][out] -> value id; -1 = dead
	vid := make([][]int, len(g.nodes))
	nodeDead := make([]bool, len(g.nodes))
	newVal := func(t *tval, store int) int {
		p.vals = append(p.vals, t)
		p.valStore = append(p.valStore, store)
		return len(p.vals) - 1
	}
	newStore := func(s storage) int {
		p.stores = append(p.stores, s)
		return len(p.stores) - 1
	}
	constVal := func(t *tval) int { return newVal(t, newStore(storage{kind: stConst})) }
	feedIdx := make(map[int]int, len(g.inputs))
	for i, e := range g.inputs {
		feedIdx[e.ref.node] = i
	}
	lookup := func(r ref) (int, error) {
		outs := vid[r.node]
		if r.out >= len(outs) {
			return 0, fmt.Errorf("node %q: output %d does not exist (it has %d)", g.nodes[r.node].name, r.out, len(outs))
		}
		return outs[r.out], nil
	}
	for _, ni := range order {
		n := g.nodes[ni]
		dead := false
		for _, c := range n.ctrl {
			if nodeDead[c] {
				dead = true
			}
		}
		ins := make([]int, len(n.in))
		anyDeadIn, allDeadIn := false, len(n.in) > 0
		for i, r := range n.in {
			v, err := lookup(r)
			if err != nil {
				return nil, fmt.Errorf("node %q: %w", n.name, err)
			}
			ins[i] = v
			if v < 0 {
				anyDeadIn = true
			} else {
				allDeadIn = false
			}
		}
		if n.op == "Merge" {
			// A Merge is live when any data input is; it forwards the first
			// live one. Its control inputs need only arrive, dead or not (as in
			// TensorFlow's executor).
			if allDeadIn {
				nodeDead[ni] = true
				vid[ni] = []int{-1, -1}
				continue
			}
			for i, v := range ins {
				if v >= 0 {
					vid[ni] = []int{v, constVal(&tval{shape: []int{}, data: []float32{float32(i)}, dt: dtInt})}
					break
				}
			}
			continue
		}
		if dead || anyDeadIn {
			nodeDead[ni] = true
			vid[ni] = deadOuts(n)
			continue
		}
		switch n.op {
		case "Const":
			vid[ni] = []int{constVal(n.value)}
			continue
		case "Placeholder":
			fi, ok := feedIdx[ni]
			if !ok {
				return nil, fmt.Errorf("node %q: Placeholder is not a signature input", n.name)
			}
			t := feeds[fi]
			tv := &tval{shape: append([]int{}, t.Shape...), dt: n.dt}
			if len(t.Shape) == 0 {
				// Scalars are part of the plan key, so they fold like constants.
				tv.data = []float32{t.Data[0]}
				vid[ni] = []int{constVal(tv)}
			} else {
				vid[ni] = []int{newVal(tv, newStore(storage{kind: stInput, input: fi, size: tv.size()}))}
			}
			continue
		case "NoOp":
			vid[ni] = nil
			continue
		case "Switch":
			if len(ins) != 2 {
				return nil, fmt.Errorf("node %q: Switch needs 2 inputs, has %d", n.name, len(ins))
			}
			pred := p.vals[ins[1]]
			if pred.data == nil || len(pred.data) != 1 {
				return nil, fmt.Errorf("node %q: Switch predicate must be a scalar known from input shapes and scalar inputs", n.name)
			}
			// Output 0 carries the data when pred is false, output 1 when true.
			if pred.data[0] != 0 {
				vid[ni] = []int{-1, ins[0]}
			} else {
				vid[ni] = []int{ins[0], -1}
			}
			continue
		}
		prepare := lookupOp(n.op)
		if prepare == nil {
			return nil, fmt.Errorf("node %q: unsupported op %s", n.name, n.op)
		}
		in := make([]*tval, len(ins))
		allConst := true
		for i, v := range ins {
			in[i] = p.vals[v]
			if in[i].data == nil {
				allConst = false
			}
		}
		pr, err := safePrepare(prepare, n, in)
		if err != nil {
			return nil, fmt.Errorf("node %q (%s): %w", n.name, n.op, err)
		}
		outs := make([]int, len(pr.outs))
		if pr.run == nil && pr.alias == nil {
			// prepare computed the value itself (Shape of a run-time tensor)
			for i, o := range pr.outs {
				outs[i] = constVal(o)
			}
			vid[ni] = outs
			continue
		}
		if allConst {
			for i, o := range pr.outs {
				if pr.alias != nil && pr.alias[i] >= 0 {
					o.data = in[pr.alias[i]].data
				} else {
					o.data = make([]float32, o.size())
				}
			}
			if pr.run != nil {
				if err := safeRun(pr.run, in, pr.outs); err != nil {
					return nil, fmt.Errorf("node %q (%s): %w", n.name, n.op, err)
				}
			}
			for i, o := range pr.outs {
				outs[i] = constVal(o)
			}
			vid[ni] = outs
			continue
		}
		for i, o := range pr.outs {
			if pr.alias != nil && pr.alias[i] >= 0 {
				outs[i] = newVal(o, p.valStore[ins[pr.alias[i]]])
			} else {
				outs[i] = newVal(o, newStore(storage{kind: stArena, size: o.size()}))
			}
		}
		vid[ni] = outs
		if pr.run != nil {
			p.steps = append(p.steps, step{node: ni, in: ins, out: outs, run: pr.run})
			p.flops += pr.flops
			var ew *ewChain
			if pr.ew != nil {
				ew = &ewChain{ops: pr.ew.ops, ext: ins}
				p.steps[len(p.steps)-1].elementwise = true
			}
			ews = append(ews, ew)
		}
	}
	for _, e := range g.outputs {
		v, err := lookup(e.ref)
		if err != nil {
			return nil, err
		}
		if v < 0 {
			return nil, fmt.Errorf("output %q (node %q) is not computed for these inputs", e.key, g.nodes[e.ref.node].name)
		}
		p.outputs = append(p.outputs, v)
		p.outKeys = append(p.outKeys, e.key)
		if s := &p.stores[p.valStore[v]]; s.kind == stArena {
			s.kind = stFresh
		}
	}
	p.fuseChains(ews)
	p.reuseInPlace()
	p.assignOffsets()
	return p, nil
}

func deadOuts(n *node) []int {
	k := 1
	switch n.op {
	case "Split":
		k = n.attrs.int("num_split", 1)
	case "SplitV":
		k = n.attrs.int("num_split", 1)
	case "Switch", "Merge":
		k = 2
	}
	out := make([]int, k)
	for i := range out {
		out[i] = -1
	}
	return out
}

// reuseInPlace lets an element-wise step write its output over a full-size
// input whose storage has no reader after it, saving memory and cache.
func (p *plan) reuseInPlace() {
	last := make([]int, len(p.stores))
	for i := range last {
		last[i] = -1
	}
	for si, s := range p.steps {
		for _, v := range s.in {
			last[p.valStore[v]] = si
		}
	}
	owners := make([][]int, len(p.stores)) // storage -> values in it
	for v, st := range p.valStore {
		owners[st] = append(owners[st], v)
	}
	for si, s := range p.steps {
		if !s.elementwise || len(s.out) != 1 {
			continue
		}
		out := p.valStore[s.out[0]]
		if p.stores[out].kind != stArena {
			continue
		}
		for _, v := range s.in {
			in := p.valStore[v]
			if in == out || p.stores[in].kind != stArena || last[in] != si ||
				p.stores[in].size != p.stores[out].size || p.vals[v].size() != p.stores[out].size {
				continue
			}
			for _, w := range owners[out] {
				p.valStore[w] = in
			}
			owners[in] = append(owners[in], owners[out]...)
			owners[out] = nil
			last[in] = last[out]
			break
		}
	}
}

// assignOffsets places every arena storage at an offset of one arena
// buffer so that storages alive at the same time never overlap: the
// greedy-by-size placement (largest first, lowest offset that fits between
// those already placed and overlapping in time).
func (p *plan) assignOffsets() {
	first := make([]int, len(p.stores))
	for i := range p.stores {
		p.stores[i].last, first[i] = -1, -1
	}
	for si, s := range p.steps {
		for _, v := range s.in {
			p.stores[p.valStore[v]].last = si
		}
		for _, v := range s.out {
			if id := p.valStore[v]; first[id] < 0 {
				first[id] = si
			}
		}
	}
	var order []int
	for id := range p.stores {
		st := &p.stores[id]
		if st.kind != stArena || first[id] < 0 {
			continue
		}
		st.last = max(st.last, first[id])
		order = append(order, id)
	}
	sort.SliceStable(order, func(a, b int) bool { return p.stores[order[a]].size > p.stores[order[b]].size })
	const align = 16 // floats: one cache line
	type span struct{ lo, hi int }
	var placed []int
	var busy []span
	for _, id := range order {
		st := &p.stores[id]
		busy = busy[:0]
		for _, o := range placed {
			q := &p.stores[o]
			if first[o] <= st.last && first[id] <= q.last {
				busy = append(busy, span{q.slot, q.slot + q.size})
			}
		}
		sort.Slice(busy, func(a, b int) bool { return busy[a].lo < busy[b].lo })
		off := 0
		for _, b := range busy {
			if off+st.size <= b.lo {
				break
			}
			off = max(off, (b.hi+align-1)/align*align)
		}
		st.slot, st.placed = off, true
		p.arenaSize = max(p.arenaSize, off+st.size)
		placed = append(placed, id)
	}
}

// arena is the per-run memory of a plan: slot buffers and every value bound to
// its data. Arenas are pooled, so steady-state runs allocate only their outputs.
type arena struct {
	vals  []tval
	steps [][2][]*tval
}

// maxIdleArenas bounds the memory a plan keeps between runs.
const maxIdleArenas = 2

func (p *plan) getArena() *arena {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.idle); n > 0 {
		a := p.idle[n-1]
		p.idle = p.idle[:n-1]
		return a
	}
	return nil
}

func (p *plan) putArena(a *arena) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) < maxIdleArenas {
		p.idle = append(p.idle, a)
	}
}

func (p *plan) newArena() *arena {
	a := &arena{vals: make([]tval, len(p.vals))}
	buf := make([]float32, p.arenaSize)
	for i, t := range p.vals {
		a.vals[i] = tval{shape: t.shape, dt: t.dt, data: t.data}
		st := p.stores[p.valStore[i]]
		if st.kind == stArena && st.placed {
			a.vals[i].data = buf[st.slot : st.slot+t.size()]
		}
	}
	a.steps = make([][2][]*tval, len(p.steps))
	for si, s := range p.steps {
		in := make([]*tval, len(s.in))
		for i, v := range s.in {
			in[i] = &a.vals[v]
		}
		out := make([]*tval, len(s.out))
		for i, v := range s.out {
			out[i] = &a.vals[v]
		}
		a.steps[si] = [2][]*tval{in, out}
	}
	return a
}

func (p *plan) run(ctx context.Context, feeds []*Tensor, threads int) (res map[string]*Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("nn: run: internal error: %v", r)
			res = nil
		}
	}()
	a := p.getArena()
	if a == nil {
		a = p.newArena()
	}
	defer func() {
		// drop references to caller memory and outputs before pooling
		for i := range a.vals {
			if k := p.stores[p.valStore[i]].kind; k == stInput || k == stFresh {
				a.vals[i].data = nil
			}
		}
		p.putArena(a)
	}()
	fresh := make(map[int][]float32)
	for i := range a.vals {
		st := p.stores[p.valStore[i]]
		switch st.kind {
		case stInput:
			a.vals[i].data = feeds[st.input].Data
		case stFresh:
			id := p.valStore[i]
			if fresh[id] == nil {
				fresh[id] = make([]float32, st.size)
			}
			a.vals[i].data = fresh[id][:p.vals[i].size()]
		}
	}
	for si, s := range p.steps {
		if si&15 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		io := a.steps[si]
		s.run(io[0], io[1], threads)
	}
	res = make(map[string]*Tensor, len(p.outputs))
	for i, v := range p.outputs {
		t := &a.vals[v]
		data := t.data
		if p.stores[p.valStore[v]].kind != stFresh {
			data = append([]float32(nil), data...)
		}
		res[p.outKeys[i]] = &Tensor{Shape: append([]int{}, t.shape...), Data: data}
	}
	return res, nil
}

// safePrepare and safeRun turn a bug-triggered panic on hostile input into an error.
func safePrepare(f prepareFn, n *node, in []*tval) (p *prep, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("internal error: %v", r)
		}
	}()
	return f(n, in)
}

func safeRun(f kernelFn, in, out []*tval) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	f(in, out, 1)
	return nil
}

// topoOrder returns the nodes in an order where every node follows its data
// and control inputs; a cycle is an error.
func topoOrder(g *graph) ([]int, error) {
	state := make([]uint8, len(g.nodes)) // 0 new, 1 visiting, 2 done
	order := make([]int, 0, len(g.nodes))
	type frame struct{ n, next int }
	for root := range g.nodes {
		if state[root] != 0 {
			continue
		}
		stack := []frame{{root, 0}}
		state[root] = 1
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			n := g.nodes[f.n]
			deps := len(n.in) + len(n.ctrl)
			if f.next == deps {
				state[f.n] = 2
				order = append(order, f.n)
				stack = stack[:len(stack)-1]
				continue
			}
			var d int
			if f.next < len(n.in) {
				d = n.in[f.next].node
			} else {
				d = n.ctrl[f.next-len(n.in)]
			}
			f.next++
			switch state[d] {
			case 1:
				return nil, fmt.Errorf("node %q: graph has a cycle through %q", n.name, g.nodes[d].name)
			case 0:
				state[d] = 1
				stack = append(stack, frame{d, 0})
			}
		}
	}
	return order, nil
}
