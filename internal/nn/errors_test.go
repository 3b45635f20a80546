package nn

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyModel copies a fetched model into a temp dir, letting edit change the
// JSON and bin bytes first.
func copyModel(t *testing.T, name string, edit func(js, bin []byte) ([]byte, []byte)) string {
	t.Helper()
	src := modelsDir(t)
	js, err := os.ReadFile(filepath.Join(src, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(filepath.Join(src, name+".bin"))
	if err != nil {
		t.Fatal(err)
	}
	js, bin = edit(js, bin)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name+".json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".bin"), bin, 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name+".json")
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(js, bin []byte) ([]byte, []byte)
		wantSub string // the error must name this (a node, or the problem)
	}{
		{"malformed JSON", func(js, bin []byte) ([]byte, []byte) { return []byte("{\"format\": graph-model"), bin }, "parse model JSON"},
		{"truncated JSON", func(js, bin []byte) ([]byte, []byte) { return js[:len(js)/2], bin }, "parse model JSON"},
		{"not a graph model", func(js, bin []byte) ([]byte, []byte) { return []byte(`{"format":"layers-model"}`), bin }, "modelTopology"},
		{"truncated bin", func(js, bin []byte) ([]byte, []byte) { return js, bin[:len(bin)/2] }, "node \""},
		{"bin too long", func(js, bin []byte) ([]byte, []byte) { return js, append(bin, 0, 0, 0, 0) }, "shards hold"},
		{"missing bin", func(js, bin []byte) ([]byte, []byte) {
			return []byte(strings.Replace(string(js), "blazeface.bin", "nothere.bin", 1)), bin
		}, "nothere.bin"},
		{"unknown op", func(js, bin []byte) ([]byte, []byte) {
			return []byte(strings.Replace(string(js), `"op":"Relu"`, `"op":"FancyRelu"`, 1)), bin
		}, "unsupported op FancyRelu"},
		{"dangling input", func(js, bin []byte) ([]byte, []byte) {
			return []byte(strings.Replace(string(js), `"input":["input"`, `"input":["no_such_node"`, 1)), bin
		}, "no_such_node"},
		{"weight path escapes folder", func(js, bin []byte) ([]byte, []byte) {
			return []byte(strings.Replace(string(js), `"blazeface.bin"`, `"../blazeface.bin"`, 1)), bin
		}, "leaves the model folder"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := copyModel(t, "blazeface", c.edit)
			m, err := LoadFile(path)
			if err == nil {
				t.Fatalf("LoadFile = %v, want error", m)
			}
			if !strings.Contains(err.Error(), c.wantSub) {
				t.Errorf("LoadFile error %q does not mention %q", err, c.wantSub)
			}
		})
	}
}

// TestLoadNeverPanics feeds truncations and byte flips of a real model.
func TestLoadNeverPanics(t *testing.T) {
	src := modelsDir(t)
	js, err := os.ReadFile(filepath.Join(src, "facemesh.json"))
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(filepath.Join(src, "facemesh.bin"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 40; i++ {
		cut := len(js) * i / 40
		readShard := func(string) ([]byte, error) { return bin, nil }
		if _, err := parseModel(js[:cut], readShard); err == nil {
			t.Errorf("JSON cut at %d bytes loaded without error", cut)
		}
		flipped := append([]byte(nil), js...)
		flipped[cut] ^= 0x5a
		parseModel(flipped, readShard) // may or may not fail; must not panic
	}
}

func TestRunErrors(t *testing.T) {
	m, err := LoadFile(filepath.Join(modelsDir(t), "selfie.json"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cases := []struct {
		name string
		in   map[string]*Tensor
	}{
		{"missing input", map[string]*Tensor{}},
		{"wrong shape", map[string]*Tensor{"input_1": NewTensor(1, 128, 128, 3)}},
		{"wrong rank", map[string]*Tensor{"input_1": NewTensor(256, 256, 3)}},
		{"data does not match shape", map[string]*Tensor{"input_1": {Shape: []int{1, 256, 256, 3}, Data: make([]float32, 10)}}},
		{"unknown input", map[string]*Tensor{"input_1": NewTensor(1, 256, 256, 3), "extra": NewTensor(1)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := m.Run(ctx, c.in, nil)
			if !errors.Is(err, ErrInput) {
				t.Fatalf("Run = %v, %v; want ErrInput", out, err)
			}
		})
	}
}

func TestRunCanceled(t *testing.T) {
	m, err := LoadFile(filepath.Join(modelsDir(t), "selfie.json"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Run(ctx, map[string]*Tensor{"input_1": NewTensor(1, 256, 256, 3)}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run on canceled context = %v, want context.Canceled", err)
	}
}

// TestGraphShapeErrors checks that a shape mismatch inside a graph is an
// error naming the node, found when the plan is built.
func TestGraphShapeErrors(t *testing.T) {
	cases := []struct {
		name string
		op   string
		at   attrs
		ins  []in
	}{
		{"Add does not broadcast", "AddV2", nil, []in{dyn([]int{2}, 1, 2), dyn([]int{3}, 1, 2, 3)}},
		{"Reshape size mismatch", "Reshape", nil, []in{dyn([]int{2, 2}, 1, 2, 3, 4), icst([]int{1}, 3)}},
		{"Conv2D channel mismatch", "Conv2D", attrs{"padding": aS("VALID")}, []in{dyn([]int{1, 1, 1, 2}, 1, 2), cst([]int{1, 1, 3, 1}, 1, 1, 1)}},
		{"Conv2D input smaller than kernel", "Conv2D", attrs{"padding": aS("VALID")}, []in{dyn([]int{1, 1, 1, 1}, 1), cst([]int{2, 2, 1, 1}, 1, 1, 1, 1)}},
		{"ConcatV2 mismatch", "ConcatV2", nil, []in{dyn([]int{1, 2}, 1, 2), dyn([]int{2, 1}, 1, 2), icst([]int{}, 1)}},
		{"StridedSlice out of range", "StridedSlice", attrs{"shrink_axis_mask": aI(1)}, []in{dyn([]int{2}, 1, 2), icst([]int{1}, 5), icst([]int{1}, 6), icst([]int{1}, 1)}},
		{"MatMul inner mismatch", "MatMul", nil, []in{dyn([]int{1, 2}, 1, 2), cst([]int{3, 1}, 1, 1, 1)}},
		{"Split not divisible", "Split", attrs{"num_split": aI(2)}, []in{icst([]int{}, 0), dyn([]int{3}, 1, 2, 3)}},
		{"ResizeBilinear bad size", "ResizeBilinear", nil, []in{dyn([]int{1, 1, 1, 1}, 1), icst([]int{2}, 0, 2)}},
		{"Pad negative", "Pad", nil, []in{dyn([]int{1}, 1), icst([]int{1, 2}, -1, 0)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := runOp(c.op, c.at, 1, c.ins...)
			if err == nil || !strings.Contains(err.Error(), `node "op"`) {
				t.Fatalf("runOp(%s) error = %v, want an error naming node \"op\"", c.op, err)
			}
		})
	}
}
