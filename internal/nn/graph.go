package nn

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
)

// dtype is the element type of a graph tensor. All values are held as float32:
// integer and boolean tensors in these models only carry shapes, indices and flags,
// all far below 2^24, so float32 represents them exactly. The tag keeps the
// integer semantics of Cast, FloorMod and the like.
type dtype uint8

const (
	dtFloat dtype = iota
	dtInt
	dtBool
)

func (d dtype) String() string {
	switch d {
	case dtInt:
		return "int32"
	case dtBool:
		return "bool"
	}
	return "float32"
}

// parseDType maps a TensorFlow DataType name to a dtype.
func parseDType(s string) (dtype, error) {
	switch s {
	case "DT_FLOAT", "DT_HALF", "DT_DOUBLE", "float32", "float16":
		return dtFloat, nil
	case "DT_INT32", "DT_INT64", "DT_INT8", "DT_UINT8", "DT_INT16", "int32":
		return dtInt, nil
	case "DT_BOOL", "bool":
		return dtBool, nil
	}
	return 0, fmt.Errorf("unsupported dtype %q", s)
}

// ref names one output of a node.
type ref struct {
	node int
	out  int
}

// node is one operation of the IR graph. Attributes are already decoded.
type node struct {
	name  string
	op    string
	in    []ref // data inputs
	ctrl  []int // control inputs (^name)
	attrs attrs
	// value holds the tensor of a Const node.
	value *tval
	dt    dtype // Placeholder / Const dtype
	// fused is work folded in from the node's readers (see fuseGraph).
	fused *post
	// conv is the packed filter of a Conv2D node, shared by the plans of
	// every input shape (packing is most of the cost of building a plan).
	conv atomic.Pointer[packedConv]
}

// graph is the model in IR form: nodes, and how the signature maps to them.
type graph struct {
	nodes   []*node
	byName  map[string]int
	inputs  []sigEntry // sorted by key
	outputs []sigEntry // sorted by key
}

// sigEntry binds a public input/output name to a graph tensor.
type sigEntry struct {
	key string
	ref ref
}

// parseInputRef splits "name", "name:1" and "^name".
func parseInputRef(s string) (name string, out int, ctrl bool, err error) {
	if strings.HasPrefix(s, "^") {
		return s[1:], 0, true, nil
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		n, err := strconv.Atoi(s[i+1:])
		if err != nil || n < 0 {
			return "", 0, false, fmt.Errorf("bad input reference %q", s)
		}
		return s[:i], n, false, nil
	}
	return s, 0, false, nil
}

// attrs holds a node's decoded attributes.
type attrs map[string]attr

type attr struct {
	s  string
	i  int64
	f  float32
	b  bool
	ty string
	is []int64
	ss []string
	fs []float32
	// shapeDims is a TensorShapeProto: nil for unknown rank, -1 for unknown dims.
	shapeDims []int
	// kind says which field holds the value.
	kind byte // 's','i','f','b','t','l' (list), 'h' (shape), 0 unknown
}

func (a attrs) int(name string, def int) int {
	if v, ok := a[name]; ok && v.kind == 'i' {
		return int(v.i)
	}
	return def
}

func (a attrs) float(name string, def float32) float32 {
	if v, ok := a[name]; ok && v.kind == 'f' {
		return v.f
	}
	return def
}

func (a attrs) bool(name string) bool {
	v, ok := a[name]
	return ok && v.kind == 'b' && v.b
}

func (a attrs) str(name string, def string) string {
	if v, ok := a[name]; ok && v.kind == 's' {
		return v.s
	}
	return def
}

func (a attrs) ints(name string) []int {
	v, ok := a[name]
	if !ok || v.kind != 'l' {
		return nil
	}
	out := make([]int, len(v.is))
	for i, x := range v.is {
		out[i] = int(x)
	}
	return out
}

func (a attrs) strs(name string) []string {
	if v, ok := a[name]; ok && v.kind == 'l' {
		return v.ss
	}
	return nil
}

func (a attrs) typ(name string) string {
	if v, ok := a[name]; ok && v.kind == 't' {
		return v.ty
	}
	return ""
}
