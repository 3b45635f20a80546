package nn

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"
)

func TestZZOpProfile(t *testing.T) {
	model := os.Getenv("PROF_MODEL")
	if model == "" {
		t.Skip()
	}
	w, _ := strconv.Atoi(os.Getenv("PROF_W"))
	h, _ := strconv.Atoi(os.Getenv("PROF_H"))
	ds, _ := strconv.ParseFloat(os.Getenv("PROF_DS"), 32)
	threads, _ := strconv.Atoi(os.Getenv("PROF_T"))
	m, err := LoadFile(filepath.Join(modelsDir(t), model+".json"))
	if err != nil {
		t.Fatal(err)
	}
	in := benchInputs(t, m, w, h, float32(ds), 1)
	feeds := make([]*Tensor, len(m.g.inputs))
	for i, e := range m.g.inputs {
		feeds[i] = in[e.key]
	}
	p, err := m.planFor(feeds)
	if err != nil {
		t.Fatal(err)
	}
	a := p.newArena()
	for i := range a.vals {
		st := p.stores[p.valStore[i]]
		switch st.kind {
		case stInput:
			a.vals[i].data = feeds[st.input].Data
		case stFresh:
			a.vals[i].data = make([]float32, p.vals[i].size())
		}
	}
	byOp := map[string]time.Duration{}
	type big struct {
		d    time.Duration
		name string
	}
	var bigs []big
	const reps = 5
	total := time.Duration(0)
	for r := 0; r < reps; r++ {
		for si, s := range p.steps {
			st := time.Now()
			s.run(a.steps[si][0], a.steps[si][1], threads)
			d := time.Since(st)
			n := m.g.nodes[s.node]
			byOp[n.op] += d
			total += d
			if r == reps-1 {
				bigs = append(bigs, big{d, fmt.Sprintf("%s %s %v", n.op, n.name[max(0, len(n.name)-60):], a.steps[si][1][0].shape)})
			}
		}
	}
	keys := sortedKeys(byOp)
	sort.Slice(keys, func(i, j int) bool { return byOp[keys[i]] > byOp[keys[j]] })
	for _, k := range keys {
		t.Logf("%-28s %8.2f ms", k, float64(byOp[k].Microseconds())/1000/reps)
	}
	t.Logf("total %.2f ms", float64(total.Microseconds())/1000/reps)
	sort.Slice(bigs, func(i, j int) bool { return bigs[i].d > bigs[j].d })
	for _, b := range bigs[:25] {
		t.Logf("%7.2f ms %s", float64(b.d.Microseconds())/1000, b.name)
	}
}
