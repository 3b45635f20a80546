package nn

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
)

// TestConcurrentRuns runs one loaded model from several goroutines at once, on
// two input sizes (so plans are built concurrently too), and checks each
// result equals a sequential run bit for bit.
func TestConcurrentRuns(t *testing.T) {
	m, err := LoadFile(filepath.Join(modelsDir(t), "rvm.json"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	inputs := []map[string]*Tensor{
		benchInputs(t, m, 64, 64, 0.5, 1),
		benchInputs(t, m, 96, 64, 0.25, 1),
	}
	want := make([]map[string]*Tensor, len(inputs))
	for i, in := range inputs {
		if want[i], err = m.Run(ctx, in, &RunOptions{Threads: 1}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i := g % len(inputs)
			got, err := m.Run(ctx, inputs[i], &RunOptions{Threads: 1 + g%2})
			if err != nil {
				errs <- err.Error()
				return
			}
			for k, w := range want[i] {
				for j := range w.Data {
					if got[k].Data[j] != w.Data[j] {
						errs <- "goroutine result differs from the sequential run in output " + k
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
