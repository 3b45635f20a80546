package nn

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// The types below mirror the TF.js graph-model JSON (model.json): a GraphDef in
// JSON form plus the manifest of the binary weight shards.

type jsonModel struct {
	Format        string          `json:"format"`
	ModelTopology *jsonGraph      `json:"modelTopology"`
	Manifest      []jsonWeightGrp `json:"weightsManifest"`
	Signature     *jsonSignature  `json:"signature"`
	UserMeta      *struct {
		Signature *jsonSignature `json:"signature"`
	} `json:"userDefinedMetadata"`
}

type jsonGraph struct {
	Node []jsonNode `json:"node"`
}

type jsonNode struct {
	Name  string                     `json:"name"`
	Op    string                     `json:"op"`
	Input []string                   `json:"input"`
	Attr  map[string]json.RawMessage `json:"attr"`
}

type jsonWeightGrp struct {
	Paths   []string     `json:"paths"`
	Weights []jsonWeight `json:"weights"`
}

type jsonWeight struct {
	Name         string `json:"name"`
	Shape        []int  `json:"shape"`
	DType        string `json:"dtype"`
	Quantization *struct {
		DType         string  `json:"dtype"`
		Scale         float32 `json:"scale"`
		Min           float32 `json:"min"`
		OriginalDType string  `json:"original_dtype"`
	} `json:"quantization"`
}

type jsonSignature struct {
	Inputs  map[string]jsonSigTensor `json:"inputs"`
	Outputs map[string]jsonSigTensor `json:"outputs"`
}

type jsonSigTensor struct {
	Name string `json:"name"`
}

type jsonAttr struct {
	S     *string          `json:"s"`
	I     *json.RawMessage `json:"i"`
	F     *float64         `json:"f"`
	B     *bool            `json:"b"`
	Type  *string          `json:"type"`
	Shape *struct {
		Dim []struct {
			Size json.RawMessage `json:"size"`
		} `json:"dim"`
		UnknownRank bool `json:"unknownRank"`
	} `json:"shape"`
	List *struct {
		S []string          `json:"s"`
		I []json.RawMessage `json:"i"`
		F []float64         `json:"f"`
	} `json:"list"`
}

// maxWeightBytes bounds what a manifest may claim, so a corrupt shape cannot make
// the loader allocate without limit.
const maxWeightBytes = 1 << 31

// LoadFile reads a TF.js graph model: jsonPath (model.json) and the .bin shards its
// weights manifest names, resolved relative to the JSON file. Weights are
// dequantised to float32 once here.
func LoadFile(jsonPath string) (*Model, error) {
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		return nil, fmt.Errorf("nn: load model: %w", err)
	}
	dir := filepath.Dir(jsonPath)
	g, err := parseModel(raw, func(p string) ([]byte, error) {
		if filepath.IsAbs(p) || strings.Contains(filepath.ToSlash(p), "../") {
			return nil, fmt.Errorf("weight path %q leaves the model folder", p)
		}
		return os.ReadFile(filepath.Join(dir, p))
	})
	if err != nil {
		return nil, fmt.Errorf("nn: load %s: %w", filepath.Base(jsonPath), err)
	}
	fuseGraph(g)
	return newModel(g), nil
}

// parseModel builds the IR graph from model JSON; readShard returns one weight file.
func parseModel(raw []byte, readShard func(string) ([]byte, error)) (*graph, error) {
	var jm jsonModel
	if err := json.Unmarshal(raw, &jm); err != nil {
		return nil, fmt.Errorf("parse model JSON: %w", err)
	}
	if jm.ModelTopology == nil || len(jm.ModelTopology.Node) == 0 {
		return nil, errors.New("model JSON has no modelTopology.node (not a TF.js graph model?)")
	}
	weights, err := loadWeights(jm.Manifest, readShard)
	if err != nil {
		return nil, err
	}
	g := &graph{byName: make(map[string]int, len(jm.ModelTopology.Node))}
	for i, jn := range jm.ModelTopology.Node {
		if jn.Name == "" {
			return nil, fmt.Errorf("node %d has no name", i)
		}
		if _, dup := g.byName[jn.Name]; dup {
			return nil, fmt.Errorf("node %q: duplicate name", jn.Name)
		}
		g.byName[jn.Name] = i
		n := &node{name: jn.Name, op: jn.Op, attrs: attrs{}}
		for k, v := range jn.Attr {
			a, err := decodeAttr(v)
			if err != nil {
				return nil, fmt.Errorf("node %q: attr %s: %w", jn.Name, k, err)
			}
			n.attrs[k] = a
		}
		g.nodes = append(g.nodes, n)
	}
	for i, jn := range jm.ModelTopology.Node {
		n := g.nodes[i]
		for _, s := range jn.Input {
			name, out, ctrl, err := parseInputRef(s)
			if err != nil {
				return nil, fmt.Errorf("node %q: %w", n.name, err)
			}
			j, ok := g.byName[name]
			if !ok {
				return nil, fmt.Errorf("node %q: input %q does not exist", n.name, name)
			}
			if ctrl {
				n.ctrl = append(n.ctrl, j)
			} else {
				n.in = append(n.in, ref{j, out})
			}
		}
		if !knownOp(n.op) {
			return nil, fmt.Errorf("node %q: unsupported op %s", n.name, n.op)
		}
		switch n.op {
		case "Const":
			w, ok := weights[n.name]
			if !ok {
				return nil, fmt.Errorf("node %q: Const has no entry in the weights manifest", n.name)
			}
			n.value = w
			n.dt = w.dt
		case "Placeholder":
			dt, err := parseDType(n.attrs.typ("dtype"))
			if err != nil {
				return nil, fmt.Errorf("node %q: %w", n.name, err)
			}
			n.dt = dt
		}
	}
	sig := jm.Signature
	if sig == nil && jm.UserMeta != nil {
		sig = jm.UserMeta.Signature
	}
	if err := g.bindSignature(sig); err != nil {
		return nil, err
	}
	return g, nil
}

// bindSignature resolves the public input and output names. Keys drop a trailing
// ":0" so callers write "input_1", not "input_1:0".
func (g *graph) bindSignature(sig *jsonSignature) error {
	resolve := func(tensor string) (ref, error) {
		name, out, _, err := parseInputRef(tensor)
		if err != nil {
			return ref{}, err
		}
		j, ok := g.byName[name]
		if !ok {
			return ref{}, fmt.Errorf("signature tensor %q names no node", tensor)
		}
		return ref{j, out}, nil
	}
	if sig == nil || len(sig.Inputs) == 0 {
		for i, n := range g.nodes {
			if n.op == "Placeholder" {
				g.inputs = append(g.inputs, sigEntry{n.name, ref{i, 0}})
			}
		}
	} else {
		for k, v := range sig.Inputs {
			r, err := resolve(v.Name)
			if err != nil {
				return err
			}
			if g.nodes[r.node].op != "Placeholder" {
				return fmt.Errorf("signature input %q: node %q is a %s, not a Placeholder", k, g.nodes[r.node].name, g.nodes[r.node].op)
			}
			g.inputs = append(g.inputs, sigEntry{strings.TrimSuffix(k, ":0"), r})
		}
	}
	if sig == nil || len(sig.Outputs) == 0 {
		return errors.New("model has no output signature")
	}
	for k, v := range sig.Outputs {
		r, err := resolve(v.Name)
		if err != nil {
			return err
		}
		g.outputs = append(g.outputs, sigEntry{strings.TrimSuffix(k, ":0"), r})
	}
	sort.Slice(g.inputs, func(a, b int) bool { return g.inputs[a].key < g.inputs[b].key })
	sort.Slice(g.outputs, func(a, b int) bool { return g.outputs[a].key < g.outputs[b].key })
	return nil
}

// loadWeights reads every shard, concatenated in manifest order, and decodes each
// weight (dequantising uint8 and float16) into a constant tensor.
func loadWeights(groups []jsonWeightGrp, readShard func(string) ([]byte, error)) (map[string]*tval, error) {
	var buf []byte
	for _, grp := range groups {
		for _, p := range grp.Paths {
			b, err := readShard(p)
			if err != nil {
				return nil, fmt.Errorf("weights: %w", err)
			}
			buf = append(buf, b...)
		}
	}
	out := make(map[string]*tval)
	off := 0
	for _, grp := range groups {
		for _, w := range grp.Weights {
			n := 1
			for _, d := range w.Shape {
				if d < 0 || (d > 0 && n > maxWeightBytes/d) {
					return nil, fmt.Errorf("weight %q: bad shape %v", w.Name, w.Shape)
				}
				n *= d
			}
			dt, err := parseDType(w.DType)
			if err != nil {
				return nil, fmt.Errorf("weight %q: %w", w.Name, err)
			}
			store := w.DType
			if w.Quantization != nil {
				store = w.Quantization.DType
			}
			var size int
			switch store {
			case "uint8", "bool":
				size = 1
			case "float16":
				size = 2
			case "float32", "int32":
				size = 4
			default:
				return nil, fmt.Errorf("weight %q: unsupported storage %q", w.Name, store)
			}
			if n > maxWeightBytes/size || off+n*size > len(buf) {
				return nil, fmt.Errorf("node %q: weight needs %d bytes at offset %d, weight data has %d (truncated .bin?)", w.Name, n*size, off, len(buf))
			}
			b := buf[off : off+n*size]
			off += n * size
			data := make([]float32, n)
			switch store {
			case "uint8":
				if w.Quantization == nil {
					for i := range data {
						data[i] = float32(b[i])
					}
					break
				}
				s, m := w.Quantization.Scale, w.Quantization.Min
				for i := range data {
					data[i] = m + s*float32(b[i])
				}
			case "bool":
				for i := range data {
					if b[i] != 0 {
						data[i] = 1
					}
				}
			case "float16":
				for i := range data {
					data[i] = halfToFloat(binary.LittleEndian.Uint16(b[2*i:]))
				}
			case "float32":
				for i := range data {
					data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
				}
			case "int32":
				for i := range data {
					data[i] = float32(int32(binary.LittleEndian.Uint32(b[4*i:])))
				}
			}
			out[w.Name] = &tval{shape: append([]int{}, w.Shape...), data: data, dt: dt}
		}
	}
	if off != len(buf) {
		return nil, fmt.Errorf("weights: manifest describes %d bytes, shards hold %d", off, len(buf))
	}
	return out, nil
}

// halfToFloat converts IEEE 754 binary16 to float32.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: renormalise
		e := uint32(127 - 15 + 1)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		mant &= 0x3ff
		return math.Float32frombits(sign | e<<23 | mant<<13)
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// decodeAttr decodes one AttrValue in its JSON form.
func decodeAttr(raw json.RawMessage) (attr, error) {
	var ja jsonAttr
	if err := json.Unmarshal(raw, &ja); err != nil {
		return attr{}, err
	}
	var a attr
	switch {
	case ja.S != nil:
		b, err := base64.StdEncoding.DecodeString(*ja.S)
		if err != nil {
			return a, fmt.Errorf("bad base64 string: %w", err)
		}
		a.s, a.kind = string(b), 's'
	case ja.I != nil:
		v, err := jsonInt(*ja.I)
		if err != nil {
			return a, err
		}
		a.i, a.kind = v, 'i'
	case ja.F != nil:
		a.f, a.kind = float32(*ja.F), 'f'
	case ja.B != nil:
		a.b, a.kind = *ja.B, 'b'
	case ja.Type != nil:
		a.ty, a.kind = *ja.Type, 't'
	case ja.Shape != nil:
		a.kind = 'h'
		if !ja.Shape.UnknownRank {
			a.shapeDims = []int{}
			for _, d := range ja.Shape.Dim {
				v := int64(-1)
				if len(d.Size) > 0 {
					var err error
					if v, err = jsonInt(d.Size); err != nil {
						return a, err
					}
				}
				a.shapeDims = append(a.shapeDims, int(v))
			}
		}
	case ja.List != nil:
		a.kind = 'l'
		for _, r := range ja.List.I {
			v, err := jsonInt(r)
			if err != nil {
				return a, err
			}
			a.is = append(a.is, v)
		}
		for _, s := range ja.List.S {
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return a, fmt.Errorf("bad base64 string: %w", err)
			}
			a.ss = append(a.ss, string(b))
		}
		for _, f := range ja.List.F {
			a.fs = append(a.fs, float32(f))
		}
	}
	return a, nil
}

// jsonInt accepts int64 written as a JSON string (proto3 JSON) or a number.
func jsonInt(r json.RawMessage) (int64, error) {
	s := strings.Trim(string(r), `"`)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad integer %s", r)
	}
	return v, nil
}
