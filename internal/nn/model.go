// Package nn runs TensorFlow.js graph models (model.json plus .bin weight shards)
// in pure Go: it loads the graph, plans its execution once per input shape and runs
// it on float32 NHWC tensors. Plans of one model share their packed convolution
// filters, so a new input size costs about a millisecond of planning.
//
// The layers stay apart: the loader (loader.go) knows the file format and produces
// the IR (graph.go); the planner (plan.go) knows ops, shapes, order and buffer
// reuse; the compute-heavy loops live in package kernel and know only slices.
package nn

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Tensor is a dense float32 tensor in row-major order. A rank-0 tensor (scalar)
// has an empty Shape and one element.
type Tensor struct {
	Shape []int
	Data  []float32
}

// NewTensor returns a zeroed tensor of the given shape.
func NewTensor(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int{}, shape...), Data: make([]float32, numElems(shape))}
}

// RunOptions tunes one Run call.
type RunOptions struct {
	// Threads is how many goroutines one run may use; 0 means runtime.GOMAXPROCS(0).
	Threads int
}

// maxPlans bounds the per-shape plan cache; callers with many input sizes pay
// for re-planning instead of unbounded memory.
const maxPlans = 4

// Model is a loaded graph model. It is immutable after load except for its plan
// cache, and safe for concurrent Run calls.
type Model struct {
	g *graph

	mu    sync.Mutex
	plans map[string]*plan
	order []string // least recently used first, for eviction
}

func newModel(g *graph) *Model {
	return &Model{g: g, plans: make(map[string]*plan)}
}

// Inputs returns the model's input names (its signature keys without ":0").
func (m *Model) Inputs() []string {
	out := make([]string, len(m.g.inputs))
	for i, e := range m.g.inputs {
		out[i] = e.key
	}
	return out
}

// Outputs returns the model's output names, as keys of Run's result.
func (m *Model) Outputs() []string {
	out := make([]string, len(m.g.outputs))
	for i, e := range m.g.outputs {
		out[i] = e.key
	}
	return out
}

// InputShape returns the declared shape of an input (-1 for unknown
// dimensions), or nil when its rank is unknown.
func (m *Model) InputShape(name string) []int {
	for _, e := range m.g.inputs {
		if e.key == name {
			return placeholderShape(m.g.nodes[e.ref.node])
		}
	}
	return nil
}

// ErrInput reports an input that is missing, unknown or of the wrong shape.
var ErrInput = errors.New("nn: bad input")

// Run executes the model on the named inputs and returns every output. The
// returned tensors belong to the caller.
func (m *Model) Run(ctx context.Context, in map[string]*Tensor, opt *RunOptions) (map[string]*Tensor, error) {
	threads := 0
	if opt != nil {
		threads = opt.Threads
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	feeds := make([]*Tensor, len(m.g.inputs))
	for i, e := range m.g.inputs {
		t, ok := in[e.key]
		if !ok {
			t, ok = in[m.g.nodes[e.ref.node].name]
		}
		if !ok || t == nil {
			return nil, fmt.Errorf("%w: input %q is missing", ErrInput, e.key)
		}
		if numElems(t.Shape) != len(t.Data) {
			return nil, fmt.Errorf("%w: input %q has shape %v (%d elements) but %d values", ErrInput, e.key, t.Shape, numElems(t.Shape), len(t.Data))
		}
		for _, d := range t.Shape {
			if d < 0 {
				return nil, fmt.Errorf("%w: input %q has negative dimension in %v", ErrInput, e.key, t.Shape)
			}
		}
		if want := placeholderShape(m.g.nodes[e.ref.node]); want != nil && !shapeMatches(want, t.Shape) {
			return nil, fmt.Errorf("%w: input %q has shape %v, model expects %v", ErrInput, e.key, t.Shape, want)
		}
		feeds[i] = t
	}
	for k := range in {
		if !m.hasInput(k) {
			return nil, fmt.Errorf("%w: model has no input %q (inputs: %s)", ErrInput, k, strings.Join(m.Inputs(), ", "))
		}
	}
	p, err := m.planFor(feeds)
	if err != nil {
		return nil, err
	}
	return p.run(ctx, feeds, threads)
}

func (m *Model) hasInput(k string) bool {
	for _, e := range m.g.inputs {
		if e.key == k || m.g.nodes[e.ref.node].name == k {
			return true
		}
	}
	return false
}

// planFor returns the cached plan for these input shapes (and scalar values,
// which may steer control flow), building it on first use.
func (m *Model) planFor(feeds []*Tensor) (*plan, error) {
	var b strings.Builder
	for _, t := range feeds {
		for _, d := range t.Shape {
			b.WriteString(strconv.Itoa(d))
			b.WriteByte('x')
		}
		if len(t.Shape) == 0 {
			b.WriteString("s=")
			b.WriteString(strconv.FormatFloat(float64(t.Data[0]), 'g', -1, 32))
		}
		b.WriteByte(';')
	}
	key := b.String()
	m.mu.Lock()
	p := m.plans[key]
	if p != nil {
		m.touch(key)
	}
	m.mu.Unlock()
	if p != nil {
		return p, nil
	}
	p, err := buildPlan(m.g, feeds)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if q := m.plans[key]; q != nil {
		m.touch(key)
		return q, nil
	}
	if len(m.order) >= maxPlans {
		delete(m.plans, m.order[0])
		m.order = m.order[1:]
	}
	m.plans[key] = p
	m.order = append(m.order, key)
	return p, nil
}

// touch marks key as the most recently used plan, so that eviction drops
// the plan unused longest rather than the oldest (a server alternating
// between a few sizes keeps its hot plans). m.mu must be held.
func (m *Model) touch(key string) {
	i := slices.Index(m.order, key)
	if i < 0 || i == len(m.order)-1 {
		return
	}
	copy(m.order[i:], m.order[i+1:])
	m.order[len(m.order)-1] = key
}

// placeholderShape reads a Placeholder's declared shape; nil means unknown rank.
func placeholderShape(n *node) []int {
	a, ok := n.attrs["shape"]
	if !ok || a.kind != 'h' {
		return nil
	}
	return a.shapeDims
}

func shapeMatches(want, got []int) bool {
	if len(want) != len(got) {
		return false
	}
	for i, d := range want {
		if d >= 0 && d != got[i] {
			return false
		}
	}
	return true
}

func numElems(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
