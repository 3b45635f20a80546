package nn

import (
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/zhengapi/zheng/internal/testenv"
)

// modelsDir finds the fetched models (ZHENG_MODELS, else ./models at the repo
// root) or skips the test.
func modelsDir(t testing.TB) string { return testenv.Models(t, "rvm") }

// readF32 reads a raw little-endian float32 file, or its gzipped twin.
func readF32(path string) ([]float32, error) {
	var r io.Reader
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		f, err = os.Open(path + ".gz")
		if err != nil {
			return nil, err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		r = zr
	} else if err != nil {
		return nil, err
	} else {
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%s: %d bytes is not a float32 array", path, len(b))
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, nil
}

type goldenTensor struct {
	File  string `json:"file"`
	Shape []int  `json:"shape"`
}

type goldenManifest struct {
	Model   string                  `json:"model"`
	Inputs  map[string]goldenTensor `json:"inputs"`
	Outputs map[string]goldenTensor `json:"outputs"`
	Frames  []struct {
		Inputs  map[string]string       `json:"inputs"`
		Outputs map[string]goldenTensor `json:"outputs"`
	} `json:"frames"`
}

// goldenCase is one inference recorded by the reference tool.
type goldenCase struct {
	name    string
	inputs  map[string]string // input name -> file
	outputs map[string]goldenTensor
}

func loadGoldenCases(t *testing.T, dir string) []goldenCase {
	t.Helper()
	mans, err := filepath.Glob(filepath.Join(dir, "*", "*.manifest.json"))
	if err != nil || len(mans) == 0 {
		t.Fatalf("no golden manifests under %s", dir)
	}
	sort.Strings(mans)
	var cases []goldenCase
	for _, p := range mans {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var m goldenManifest
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		set := filepath.Base(filepath.Dir(p))
		if len(m.Frames) > 0 {
			for i, f := range m.Frames {
				cases = append(cases, goldenCase{fmt.Sprintf("%s/%s/frame%d", m.Model, set, i), f.Inputs, f.Outputs})
			}
			continue
		}
		in := map[string]string{}
		for k, v := range m.Inputs {
			in[k] = v.File
		}
		cases = append(cases, goldenCase{m.Model + "/" + set, in, m.Outputs})
	}
	return cases
}

func readGoldenInput(dir, file string) (*Tensor, error) {
	base := file[:len(file)-len(".f32")]
	raw, err := os.ReadFile(filepath.Join(dir, base+".json"))
	if err != nil {
		return nil, err
	}
	var side goldenTensor
	if err := json.Unmarshal(raw, &side); err != nil {
		return nil, err
	}
	data, err := readF32(filepath.Join(dir, file))
	if err != nil {
		return nil, err
	}
	if side.Shape == nil {
		side.Shape = []int{}
	}
	return &Tensor{Shape: side.Shape, Data: data}, nil
}

// TestGolden runs every model on the inputs recorded by the TF.js reference
// (testdata/golden, see scripts/gen-golden.sh) and compares every output with
// |got-want| <= 1e-3 + 1e-3*|want|.
func TestGolden(t *testing.T) {
	models := modelsDir(t)
	cases := loadGoldenCases(t, filepath.Join("testdata", "golden"))
	loaded := map[string]*Model{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			modelName := firstElem(c.name)
			m := loaded[modelName]
			if m == nil {
				var err error
				if m, err = LoadFile(filepath.Join(models, modelName+".json")); err != nil {
					t.Fatal(err)
				}
				loaded[modelName] = m
			}
			dir := filepath.Join("testdata", "golden", secondElem(c.name))
			in := map[string]*Tensor{}
			for k, f := range c.inputs {
				tt, err := readGoldenInput(dir, f)
				if err != nil {
					t.Fatalf("input %s: %v", k, err)
				}
				in[k] = tt
			}
			for _, threads := range []int{1, 2} {
				got, err := m.Run(context.Background(), in, &RunOptions{Threads: threads})
				if err != nil {
					t.Fatalf("Run(threads=%d): %v", threads, err)
				}
				for k, g := range c.outputs {
					want, err := readF32(filepath.Join(dir, g.File))
					if err != nil {
						t.Fatalf("golden %s: %v", k, err)
					}
					out := got[k]
					if out == nil {
						t.Fatalf("Run(threads=%d) has no output %q (has %v)", threads, k, sortedKeys(got))
					}
					if !sameShape(out.Shape, g.Shape) {
						t.Fatalf("output %s: shape %v, want %v", k, out.Shape, g.Shape)
					}
					bad, worst, at := compareTol(out.Data, want)
					if threads == 1 {
						t.Logf("%s: max |err| %.2g", k, worst)
					}
					if bad > 0 {
						t.Errorf("threads=%d output %s: %d of %d values outside tolerance; worst |err| %.3g at %d (got %v want %v)",
							threads, k, bad, len(want), worst, at, out.Data[at], want[at])
					}
				}
			}
		})
	}
}

func firstElem(p string) string {
	for i := range len(p) {
		if p[i] == '/' {
			return p[:i]
		}
	}
	return p
}

func secondElem(p string) string { return firstElem(p[len(firstElem(p))+1:]) }

// compareTol counts elements with |got-want| > 1e-3 + 1e-3*|want|.
func compareTol(got, want []float32) (bad int, worst float64, at int) {
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) || d > 1e-3+1e-3*math.Abs(float64(want[i])) {
			bad++
		}
		if math.IsNaN(d) || d > worst {
			worst, at = d, i
		}
	}
	return
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
