package nn

import "sync"

// Element-wise chains: after planning, a run of element-wise steps where each
// result feeds only the next step (e.g. x+3 -> relu6 -> *x -> *1/6, a
// hard-swish) is merged into one step that computes the whole chain tile by
// tile, so the intermediates never reach memory.

// Operand kinds of an element-wise op, relative to its output shape.
const (
	argFull    = iota // same element count as the output
	argScalar         // one value
	argChannel        // varies along the last axis only
	argChain          // the result of an earlier op of the same chain
)

type ewArg struct {
	kind int
	idx  int // argChain: op index; otherwise index into the chain's externals
	c    int // argChannel: channel count
}

// ewOp is one element-wise op of a chain.
type ewOp struct {
	unary bool
	bin   binCode
	un    unaryCode
	post  *post // activation fused after a binary op
	args  [2]ewArg
}

// ewChain describes a step's computation as element-wise ops over external
// values (value ids) producing an output of n elements.
type ewChain struct {
	ops []ewOp
	ext []int
}

// ewArgKind classifies operand shape x against output shape out; ok is false
// for broadcasts a chain does not handle.
func ewArgKind(x, out []int) (kind, c int, ok bool) {
	n, total := numElems(x), numElems(out)
	switch {
	case n == total:
		return argFull, 0, true
	case n == 1:
		return argScalar, 0, true
	case len(out) > 0 && len(x) > 0 && x[len(x)-1] == out[len(out)-1] && n == out[len(out)-1]:
		return argChannel, n, true
	}
	return 0, 0, false
}

// fuseChains merges element-wise steps into their single reader. It runs on
// a built plan before buffers are assigned.
func (p *plan) fuseChains(ews []*ewChain) {
	readers := make([]int, len(p.vals))
	for _, s := range p.steps {
		for _, v := range s.in {
			readers[v]++
		}
	}
	for _, v := range p.outputs {
		readers[v] += 2
	}
	// values sharing a storage (aliases) must stay materialised
	shared := make([]int, len(p.stores))
	for _, st := range p.valStore {
		shared[st]++
	}
	producer := make(map[int]int) // value id -> step index
	for si, s := range p.steps {
		for _, v := range s.out {
			producer[v] = si
		}
	}
	removed := make([]bool, len(p.steps))
	for ti, t := range p.steps {
		ct := ews[ti]
		if ct == nil {
			continue
		}
		outN := p.vals[t.out[0]].size()
		for ai, v := range ct.ext {
			si, ok := producer[v]
			if !ok || ews[si] == nil || removed[si] || readers[v] != 1 || shared[p.valStore[v]] != 1 ||
				p.vals[v].size() != outN || len(p.steps[si].out) != 1 {
				continue
			}
			ct = mergeChains(ews[si], ct, ai)
			ews[ti] = ct
			removed[si] = true
			break // one producer per step and round; chains grow step by step
		}
	}
	var steps []step
	for si, s := range p.steps {
		if removed[si] {
			continue
		}
		if c := ews[si]; c != nil && len(c.ops) > 1 {
			s.in = c.ext
			s.run = c.runner(p, s.out[0])
			s.elementwise = true
		}
		steps = append(steps, s)
	}
	p.steps = steps
}

// mergeChains returns the chain computing b where b's external ai is the
// output of chain a.
func mergeChains(a, b *ewChain, ai int) *ewChain {
	m := &ewChain{ops: append([]ewOp(nil), a.ops...), ext: append([]int(nil), a.ext...)}
	extIdx := func(v int) int {
		for i, e := range m.ext {
			if e == v {
				return i
			}
		}
		m.ext = append(m.ext, v)
		return len(m.ext) - 1
	}
	last := len(a.ops) - 1
	for _, op := range b.ops {
		for k := range op.args {
			switch {
			case op.args[k].kind == argChain:
				op.args[k].idx += len(a.ops)
			case op.args[k].idx == ai && op.args[k].kind == argFull:
				op.args[k] = ewArg{kind: argChain, idx: last}
			default:
				op.args[k].idx = extIdx(b.ext[op.args[k].idx])
			}
		}
		m.ops = append(m.ops, op)
	}
	return m
}

// chainTile is the number of elements computed per op before moving on.
const chainTile = 1024

func (c *ewChain) runner(p *plan, out int) kernelFn {
	ops := c.ops
	n := p.vals[out].size()
	// tiles must start on a channel boundary for per-channel operands
	ch := 1
	for _, op := range ops {
		for _, a := range op.args {
			if a.kind == argChannel {
				ch = a.c
			}
		}
	}
	tile := max(ch, chainTile/ch*ch)
	var pool sync.Pool
	return func(in, outv []*tval, threads int) {
		dst := outv[0].data
		tiles := (n + tile - 1) / tile
		parallelFor(tiles, n*len(ops), threads, func(lo, hi int) {
			bp, _ := pool.Get().(*[]float32)
			if bp == nil {
				b := make([]float32, tile*len(ops))
				bp = &b
			}
			defer pool.Put(bp)
			buf := *bp
			for t := lo; t < hi; t++ {
				start := t * tile
				m := min(tile, n-start)
				for k, op := range ops {
					var d []float32
					if k == len(ops)-1 {
						d = dst[start : start+m]
					} else {
						d = buf[k*tile : k*tile+m]
					}
					operand := func(a ewArg) ([]float32, int) {
						switch a.kind {
						case argChain:
							return buf[a.idx*tile : a.idx*tile+m], 1
						case argScalar:
							return in[a.idx].data[:1], 0
						case argChannel:
							return in[a.idx].data, -1
						}
						return in[a.idx].data[start : start+m], 1
					}
					x, xs := operand(op.args[0])
					if op.unary {
						applyUnary(op.un, d, x)
						continue
					}
					y, ys := operand(op.args[1])
					if xs >= 0 && ys >= 0 {
						applyBin(op.bin, d, x, y, xs, ys)
					} else {
						// a per-channel operand: one channel row at a time
						for r := 0; r < m; r += ch {
							xr, yr := x, y
							if xs > 0 {
								xr = x[r : r+ch]
							}
							if ys > 0 {
								yr = y[r : r+ch]
							}
							applyBin(op.bin, d[r:r+ch], xr, yr, min(1, abs(xs)), min(1, abs(ys)))
						}
					}
					if op.post != nil {
						applyAct(op.post, d, start)
					}
				}
			}
		})
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
