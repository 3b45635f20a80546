package nn

import (
	"context"
	"testing"
)

// tinyModel is a valid two-op graph model with one float32 weight.
const tinyModel = `{"format":"graph-model","modelTopology":{"node":[
{"name":"x","op":"Placeholder","attr":{"dtype":{"type":"DT_FLOAT"},"shape":{"shape":{"dim":[{"size":"-1"},{"size":"2"}]}}}},
{"name":"w","op":"Const","attr":{"dtype":{"type":"DT_FLOAT"}}},
{"name":"y","op":"AddV2","input":["x","w"],"attr":{"T":{"type":"DT_FLOAT"}}},
{"name":"z","op":"Relu","input":["y"]}]},
"signature":{"inputs":{"x:0":{"name":"x:0"}},"outputs":{"z:0":{"name":"z:0"}}},
"weightsManifest":[{"paths":["w.bin"],"weights":[{"name":"w","shape":[2],"dtype":"float32"}]}]}`

// FuzzParseModel checks that no model JSON makes the loader or a first run
// panic; errors are expected.
func FuzzParseModel(f *testing.F) {
	f.Add([]byte(tinyModel))
	f.Add([]byte(tinyModel[:len(tinyModel)/2]))
	f.Add([]byte(`{"modelTopology":{"node":[{"name":"a","op":"Reshape","input":["a"]}]}}`))
	bin := []byte{0, 0, 128, 63, 0, 0, 0, 192} // 1, -2
	f.Fuzz(func(t *testing.T, js []byte) {
		g, err := parseModel(js, func(string) ([]byte, error) { return bin, nil })
		if err != nil {
			return
		}
		fuseGraph(g)
		m := newModel(g)
		in := map[string]*Tensor{}
		for _, name := range m.Inputs() {
			in[name] = &Tensor{Shape: []int{1, 2}, Data: []float32{3, 4}}
		}
		m.Run(context.Background(), in, nil) // may fail, must not panic
	})
}

func TestTinyModel(t *testing.T) {
	g, err := parseModel([]byte(tinyModel), func(string) ([]byte, error) { return []byte{0, 0, 128, 63, 0, 0, 0, 192}, nil })
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(g)
	if got := m.Inputs(); len(got) != 1 || got[0] != "x" {
		t.Errorf("Inputs() = %v, want [x]", got)
	}
	out, err := m.Run(t.Context(), map[string]*Tensor{"x": tens([]int{1, 2}, 3, 1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if z := out["z"]; z == nil || z.Data[0] != 4 || z.Data[1] != 0 {
		t.Errorf("z = %v, want [4 0]", z)
	}
}
