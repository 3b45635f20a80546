package nn

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// TestRecurrentPlansReused runs rvm as a video: frame 0 with scalar
// recurrent state, then frames fed the previous outputs. Only two plans may
// exist (first frame, steady state), and every steady frame must reuse the
// same one: re-planning packs every filter again.
func TestRecurrentPlansReused(t *testing.T) {
	m, err := LoadFile(filepath.Join(modelsDir(t), "rvm.json"))
	if err != nil {
		t.Fatal(err)
	}
	in := benchInputs(t, m, 64, 48, 0.5, 1) // frame 0, then frame 1's state
	var steady *plan
	for frame := 1; frame <= 4; frame++ {
		out, err := m.Run(context.Background(), in, &RunOptions{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		p := m.plans[m.order[len(m.order)-1]]
		if steady == nil {
			steady = p
		} else if p != steady {
			t.Fatalf("frame %d built a new plan", frame)
		}
		for i := 1; i <= 4; i++ {
			in[fmt.Sprintf("r%di", i)] = out[fmt.Sprintf("r%do", i)]
		}
	}
	if len(m.plans) != 2 {
		t.Errorf("%d plans cached, want 2 (first frame, steady state)", len(m.plans))
	}
}

// TestPlanCacheKeepsRecentlyUsed fills the cache past maxPlans while one
// size keeps being used: that size's plan must survive eviction.
func TestPlanCacheKeepsRecentlyUsed(t *testing.T) {
	m, err := LoadFile(filepath.Join(modelsDir(t), "rvm.json"))
	if err != nil {
		t.Fatal(err)
	}
	feeds := func(w int) []*Tensor {
		f := make([]*Tensor, len(m.g.inputs))
		for i, e := range m.g.inputs {
			if e.key == "src" {
				f[i] = NewTensor(1, 32, w, 3)
			} else {
				f[i] = &Tensor{Shape: []int{}, Data: []float32{0.5}}
			}
		}
		return f
	}
	hot, err := m.planFor(feeds(32))
	if err != nil {
		t.Fatal(err)
	}
	for w := 40; w < 40+16*maxPlans; w += 8 {
		if _, err := m.planFor(feeds(w)); err != nil {
			t.Fatal(err)
		}
		p, err := m.planFor(feeds(32))
		if err != nil {
			t.Fatal(err)
		}
		if p != hot {
			t.Fatalf("after planning width %d, the hot plan was rebuilt", w)
		}
	}
	if len(m.plans) > maxPlans {
		t.Errorf("%d plans cached, limit %d", len(m.plans), maxPlans)
	}
}
