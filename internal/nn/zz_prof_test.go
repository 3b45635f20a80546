package nn

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

func TestZZStepProfile(t *testing.T) {
	model := os.Getenv("ZZ_MODEL")
	if model == "" {
		t.Skip()
	}
	var w, h int = 256, 256
	var ds float32 = 0.25
	fmt.Sscanf(os.Getenv("ZZ_SIZE"), "%dx%d", &w, &h)
	fmt.Sscanf(os.Getenv("ZZ_DS"), "%g", &ds)
	m, _ := LoadFile(filepath.Join(modelsDir(t), model+".json"))
	in := benchInputs(t, m, w, h, ds, 1)
	feeds := make([]*Tensor, len(m.g.inputs))
	for i, e := range m.g.inputs {
		feeds[i] = in[e.key]
	}
	p, _ := m.planFor(feeds)
	m.Run(context.Background(), in, nil)
	a := p.getArena()
	for i := range a.vals {
		st := p.stores[p.valStore[i]]
		switch st.kind {
		case stInput:
			a.vals[i].data = feeds[st.input].Data
		case stFresh:
			a.vals[i].data = make([]float32, p.vals[i].size())
		}
	}
	type agg struct{ t time.Duration; n int }
	by := map[string]*agg{}
	var tot time.Duration
	for si, s := range p.steps {
		n := m.g.nodes[s.node]
		op := n.op
		io := a.steps[si]
		g := by[op]
		if g == nil { g = &agg{}; by[op] = g }
		g.n++
		best := time.Hour
		for r := 0; r < 5; r++ {
			t0 := time.Now()
			s.run(io[0], io[1], 1)
			best = min(best, time.Since(t0))
		}
		g.t += best
		tot += best
		if best > 2*time.Millisecond {
			fmt.Printf("step %3d %-28s %v in %v out %v\n", si, op, best, io[0][0].shape, io[1][0].shape)
		}
	}
	keys := []string{}
	for k := range by { keys = append(keys, k) }
	sort.Slice(keys, func(i, j int) bool { return by[keys[i]].t > by[keys[j]].t })
	fmt.Printf("total %v\n", tot)
	for _, k := range keys[:min(10, len(keys))] {
		fmt.Printf("%-34s n=%3d t=%9v\n", k, by[k].n, by[k].t)
	}
}
