package nn

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchConfigs are the sizes the reference tool's bench.mjs times.
var benchConfigs = []struct {
	model      string
	w, h       int
	downsample float32 // rvm only
	batch      int
}{
	{"rvm", 512, 512, 0.25, 1},
	{"rvm", 512, 512, 0.5, 1},
	{"rvm", 1024, 1024, 0.25, 1},
	{"rvm", 1024, 1024, 0.5, 1},
	{"selfie", 256, 256, 0, 1},
	{"meet", 256, 144, 0, 1},
	{"blazeface", 256, 256, 0, 1},
	{"facemesh", 192, 192, 0, 1},
	{"iris", 64, 64, 0, 2},
}

// benchInputs builds deterministic inputs for a model; rvm gets the
// steady-state recurrent state of one previous run, as bench.mjs does.
func benchInputs(tb testing.TB, m *Model, w, h int, ds float32, batch int) map[string]*Tensor {
	tb.Helper()
	img := NewTensor(batch, h, w, 3)
	for i := range img.Data {
		img.Data[i] = float32((i*7919)%255) / 255
	}
	in := map[string]*Tensor{}
	for _, name := range m.Inputs() {
		switch name {
		case "downsample_ratio":
			in[name] = &Tensor{Shape: []int{}, Data: []float32{ds}}
		case "r1i", "r2i", "r3i", "r4i":
			in[name] = &Tensor{Shape: []int{}, Data: []float32{0}}
		default:
			in[name] = img
		}
	}
	if _, ok := in["r1i"]; ok {
		out, err := m.Run(context.Background(), in, nil)
		if err != nil {
			tb.Fatal(err)
		}
		for i := 1; i <= 4; i++ {
			in[fmt.Sprintf("r%di", i)] = out[fmt.Sprintf("r%do", i)]
		}
	}
	return in
}

func BenchmarkModel(b *testing.B) {
	dir := modelsDir(b)
	for _, c := range benchConfigs {
		m, err := LoadFile(filepath.Join(dir, c.model+".json"))
		if err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprintf("model=%s/size=%dx%d", c.model, c.w, c.h)
		if c.model == "rvm" {
			name += fmt.Sprintf("/ds=%g", c.downsample)
		}
		in := benchInputs(b, m, c.w, c.h, c.downsample, c.batch)
		feeds := make([]*Tensor, len(m.g.inputs))
		for i, e := range m.g.inputs {
			feeds[i] = in[e.key]
		}
		p, err := m.planFor(feeds)
		if err != nil {
			b.Fatal(err)
		}
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", name, threads), func(b *testing.B) {
				opt := &RunOptions{Threads: threads}
				if _, err := m.Run(context.Background(), in, opt); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := m.Run(context.Background(), in, opt); err != nil {
						b.Fatal(err)
					}
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(sec*1000, "ms/run")
				b.ReportMetric(float64(p.flops)/sec/1e9, "GFLOP/s")
				b.ReportMetric(float64(p.arenaSize)*4/1e6, "arena-MB")
			})
		}
	}
}

// BenchmarkConcurrentMemory runs rvm at 1024×1024 from three goroutines at
// once on one loaded model and reports the peak Go heap above the idle
// model, per concurrent run (arena, outputs and everything else a run
// holds), sampled every millisecond.
func BenchmarkConcurrentMemory(b *testing.B) {
	const conc = 3
	m, err := LoadFile(filepath.Join(modelsDir(b), "rvm.json"))
	if err != nil {
		b.Fatal(err)
	}
	for _, ds := range []float32{0.25, 0.5} {
		b.Run(fmt.Sprintf("model=rvm/size=1024x1024/ds=%g/concurrent=%d", ds, conc), func(b *testing.B) {
			in := benchInputs(b, m, 1024, 1024, ds, 1)
			// Plans and pooled arenas are per model, not per run: build
			// them, then measure from a collected heap.
			if _, err := m.Run(context.Background(), in, &RunOptions{Threads: 1}); err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			base := heapBytes()
			var peak atomic.Uint64
			stop := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				t := time.NewTicker(time.Millisecond)
				defer t.Stop()
				for {
					select {
					case <-stop:
						return
					case <-t.C:
						if h := heapBytes(); h > peak.Load() {
							peak.Store(h)
						}
					}
				}
			}()
			for b.Loop() {
				var wg sync.WaitGroup
				for range conc {
					wg.Go(func() {
						if _, err := m.Run(context.Background(), in, &RunOptions{Threads: 1}); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
			}
			close(stop)
			<-sampled
			b.ReportMetric(float64(peak.Load()-min(base, peak.Load()))/conc/1e6, "peak-MB/run")
		})
	}
}

// heapBytes is the memory held by live and not yet swept heap objects.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
