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
	var w, h, batch int = 256, 256, 1
	var ds float32 = 0.25
	fmt.Sscanf(os.Getenv("ZZ_SIZE"), "%dx%d", &w, &h)
	fmt.Sscanf(os.Getenv("ZZ_DS"), "%g", &ds)
	m, _ := LoadFile(filepath.Join(modelsDir(t), model+".json"))
	in := benchInputs(t, m, w, h, ds, batch)
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
	const reps = 5
	type agg struct{ t [3]time.Duration; n int; fl int64 }
	by := map[string]*agg{}
	var tot [3]time.Duration
	for si, s := range p.steps {
		op := m.g.nodes[s.node].op
		io := a.steps[si]
		g := by[op]
		if g == nil { g = &agg{}; by[op] = g }
		g.n++
		for _, th := range []int{1} {
			best := time.Hour
			for r := 0; r < reps; r++ {
				t0 := time.Now()
				s.run(io[0], io[1], th)
				best = min(best, time.Since(t0))
			}
			g.t[th] += best
			tot[th] += best
			if best > 1*time.Millisecond {
				fmt.Printf("step %3d %-22s %v in %v out %v\n", si, op, best, io[0][0].shape, io[1][0].shape)
			}
		}
	}
	keys := []string{}
	for k := range by { keys = append(keys, k) }
	sort.Slice(keys, func(i, j int) bool { return by[keys[i]].t[1] > by[keys[j]].t[1] })
	fmt.Printf("total t1 %v\n", tot[1])
	for _, k := range keys[:10] {
		g := by[k]
		fmt.Printf("%-28s n=%3d t1=%9v\n", k, g.n, g.t[1])
	}
}
