package nn

import (
	"fmt"

	"github.com/zhengapi/zheng/internal/nn/kernel"
)

// post is work folded into a node by fuseGraph: a per-channel bias added to
// its output and then an activation. The absorbed nodes become Identity.
type post struct {
	bias  []float32 // per output channel; nil = none
	act   kernel.Activation
	prelu []float32 // ActPrelu alpha per channel
}

// fuseGraph folds a constant per-channel bias and a following activation into
// the convolution (or element-wise op) that feeds them, when that op's output
// has no other reader. This saves a full pass over memory per folded op.
func fuseGraph(g *graph) {
	consumers := make([]int, len(g.nodes)) // data readers of output 0
	reader := make([]int, len(g.nodes))
	for i, n := range g.nodes {
		for _, r := range n.in {
			if r.out == 0 {
				consumers[r.node]++
				reader[r.node] = i
			} else {
				consumers[r.node] += 2 // multi-output nodes are left alone
			}
		}
	}
	for _, e := range g.outputs {
		consumers[e.ref.node] += 2
	}
	for i, n := range g.nodes {
		conv := isConvOp(n.op)
		if !conv && !isBinaryFusable(n.op) {
			continue
		}
		outC := 0
		if conv {
			if outC = convOutChannels(g, n); outC == 0 {
				continue
			}
		}
		cur := i
		for consumers[cur] == 1 {
			c := g.nodes[reader[cur]]
			if !absorb(g, n, c, cur, outC, conv) {
				break
			}
			c.op, c.in = "Identity", []ref{{cur, 0}}
			// the Identity now stands in for n: follow its single reader
			cur = reader[cur]
		}
	}
}

func isConvOp(op string) bool {
	switch op {
	case "Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative":
		return true
	}
	return false
}

func isBinaryFusable(op string) bool {
	switch op {
	case "Add", "AddV2", "Sub", "Mul", "BiasAdd", "AddN":
		return true
	}
	return false
}

// convOutChannels returns a convolution's output channel count from its
// constant filter, or 0 when unknown.
func convOutChannels(g *graph, n *node) int {
	if len(n.in) < 2 {
		return 0
	}
	f := g.nodes[n.in[1].node]
	if f.op != "Const" || n.in[1].out != 0 || len(f.value.shape) != 4 {
		return 0
	}
	if n.op == "DepthwiseConv2dNative" || n.op == "FusedDepthwiseConv2dNative" {
		return f.value.shape[2] * f.value.shape[3]
	}
	return f.value.shape[3]
}

// channelConst returns the data of a constant input that varies only along
// the last axis and has want elements (want 0: any count, for element-wise ops).
func channelConst(g *graph, r ref, want int) []float32 {
	c := g.nodes[r.node]
	if c.op != "Const" || r.out != 0 || c.value.dt != dtFloat {
		return nil
	}
	s := c.value.shape
	if len(s) == 0 || len(s) > 4 || (want > 0 && s[len(s)-1] != want) {
		return nil
	}
	for _, d := range s[:len(s)-1] {
		if d != 1 {
			return nil
		}
	}
	return c.value.data
}

// absorb tries to fold consumer c (reading node cur, which stands for n) into n.
func absorb(g *graph, n, c *node, cur, outC int, conv bool) bool {
	p := n.fused
	if p == nil {
		p = &post{}
	}
	hasAct := p.act != kernel.ActNone || fusedHasAct(n)
	other := func() (ref, bool) {
		if len(c.in) != 2 {
			return ref{}, false
		}
		if c.in[0].node == cur {
			return c.in[1], true
		}
		return c.in[0], true
	}
	switch c.op {
	case "BiasAdd", "Add", "AddV2":
		if !conv || hasAct {
			return false
		}
		o, ok := other()
		if !ok {
			return false
		}
		b := channelConst(g, o, outC)
		if b == nil {
			return false
		}
		if p.bias == nil {
			p.bias = append([]float32(nil), b...)
		} else {
			for j := range p.bias {
				p.bias[j] += b[j]
			}
		}
	case "Relu", "Relu6", "Sigmoid", "Tanh":
		if hasAct || len(c.in) != 1 {
			return false
		}
		p.act = map[string]kernel.Activation{"Relu": kernel.ActRelu, "Relu6": kernel.ActRelu6,
			"Sigmoid": kernel.ActSigmoid, "Tanh": kernel.ActTanh}[c.op]
	case "Prelu":
		if hasAct || len(c.in) != 2 || c.in[0].node != cur {
			return false
		}
		a := channelConst(g, c.in[1], outC)
		if a == nil {
			return false
		}
		p.act, p.prelu = kernel.ActPrelu, a
	default:
		return false
	}
	n.fused = p
	return true
}

// fusedHasAct reports whether a fused op's own attributes already apply an
// activation (then nothing may be added after its bias).
func fusedHasAct(n *node) bool {
	return len(n.attrs.strs("fused_ops")) > 1
}

// applyAct applies a fused activation to dst, whose first element has flat
// index off in the output (for per-channel PReLU alphas).
func applyAct(p *post, dst []float32, off int) {
	switch p.act {
	case kernel.ActRelu:
		applyUnary(unRelu, dst, dst)
	case kernel.ActRelu6:
		applyUnary(unRelu6, dst, dst)
	case kernel.ActSigmoid:
		applyUnary(unSigmoid, dst, dst)
	case kernel.ActTanh:
		applyUnary(unTanh, dst, dst)
	case kernel.ActPrelu:
		c := len(p.prelu)
		if off%c == 0 && len(dst)%c == 0 {
			for k := 0; k < len(dst); k += c {
				row, al := dst[k:k+c], p.prelu[:c]
				for j, v := range row {
					row[j] = max(v, 0) + al[j]*min(v, 0) // branch-free, exact
				}
			}
			return
		}
		ch := off % c
		for i, v := range dst {
			dst[i] = max(v, 0) + p.prelu[ch]*min(v, 0)
			if ch++; ch == c {
				ch = 0
			}
		}
	}
}

// checkPost verifies a fused activation fits an element-wise op's output.
func checkPost(p *post, shape []int) error {
	if p == nil || p.act != kernel.ActPrelu {
		return nil
	}
	if len(shape) == 0 || (len(p.prelu) != 1 && len(p.prelu) != shape[len(shape)-1]) {
		return fmt.Errorf("fused prelu alpha of %d values does not fit output %v", len(p.prelu), shape)
	}
	return nil
}
