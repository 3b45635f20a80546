package nn

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
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
