package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zhengapi/zheng/internal/nn"
)

func newNNCmd(env *Env) *Command {
	return &Command{
		Name:  "nn",
		Usage: "zheng nn COMMAND [flags]",
		Short: "Run and time the neural-network models.",
		Long: "MODEL is a path to a TF.js model.json or a bare name (rvm, selfie, meet, blazeface,\n" +
			"facemesh, iris) looked up in $ZHENG_MODELS (default ./models), which\n" +
			nn.FetchScript + " fills.",
		Sub: []*Command{newNNRunCmd(env), newNNBenchCmd(env)},
	}
}

// inFlags collects repeated --in NAME=FILE.f32:SHAPE values.
type inFlags []string

func (f *inFlags) String() string     { return strings.Join(*f, " ") }
func (f *inFlags) Set(v string) error { *f = append(*f, v); return nil }

// parseInterleaved parses flags that may follow the positional MODEL argument.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newNNRunCmd(env *Env) *Command {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var ins inFlags
	fs.Var(&ins, "in", "input `NAME=FILE.f32:1x256x256x3` (raw little-endian float32; a scalar is NAME=FILE.f32:); repeat per input")
	out := fs.String("out", "", "output `DIR` for <output>.f32 files and outputs.json")
	threads := fs.Int("threads", 0, "goroutines for the run (0 = all cores)")
	c := &Command{
		Name:  "run",
		Usage: "zheng nn run MODEL --in NAME=FILE.f32:SHAPE [--in ...] --out DIR",
		Short: "Run a model on raw float32 inputs and write its outputs.",
		Flags: fs,
	}
	c.Run = func(ctx context.Context, args []string) error {
		pos, err := parseInterleaved(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("nn run needs exactly one MODEL")
		}
		if *out == "" || len(ins) == 0 {
			return usagef("nn run needs --in and --out")
		}
		m, err := openModel(env, pos[0])
		if err != nil {
			return err
		}
		feeds := map[string]*nn.Tensor{}
		for _, spec := range ins {
			name, t, err := parseInSpec(spec)
			if err != nil {
				return err
			}
			feeds[name] = t
		}
		res, err := m.Run(ctx, feeds, &nn.RunOptions{Threads: *threads})
		if err != nil {
			return err
		}
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
		type entry struct {
			Name  string `json:"name"`
			File  string `json:"file"`
			Shape []int  `json:"shape"`
		}
		var list []entry
		for _, name := range m.Outputs() {
			t := res[name]
			file := safeFileName(name) + ".f32"
			if err := nn.WriteF32(filepath.Join(*out, file), t); err != nil {
				return err
			}
			list = append(list, entry{name, file, t.Shape})
			fmt.Fprintf(env.Stdout, "%s %v -> %s\n", name, t.Shape, filepath.Join(*out, file))
		}
		b, err := json.MarshalIndent(map[string]any{"outputs": list}, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(*out, "outputs.json"), append(b, '\n'), 0o644)
	}
	return c
}

func newNNBenchCmd(env *Env) *Command {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	size := fs.String("size", "", "image input `WxH` (default: the model's declared size)")
	ds := fs.Float64("downsample", 0.25, "rvm downsample_ratio")
	threads := fs.Int("threads", 0, "goroutines per run (0 = all cores)")
	runs := fs.Int("runs", 20, "timed runs")
	warmup := fs.Int("warmup", 2, "untimed runs first")
	batch := fs.Int("batch", 1, "batch size of the image input")
	c := &Command{
		Name:  "bench",
		Usage: "zheng nn bench MODEL [--size WxH] [--downsample R] [--threads N] [--runs N]",
		Short: "Time a model on a synthetic input and print min/median milliseconds.",
		Long: "rvm runs in steady-state recurrent mode: each run is fed the previous run's\n" +
			"r1o..r4o, as the TF.js reference benchmark does.",
		Flags: fs,
	}
	c.Run = func(ctx context.Context, args []string) error {
		pos, err := parseInterleaved(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("nn bench needs exactly one MODEL")
		}
		if *runs < 1 || *warmup < 0 || *batch < 1 {
			return usagef("--runs must be >= 1, --warmup >= 0, --batch >= 1")
		}
		m, err := openModel(env, pos[0])
		if err != nil {
			return err
		}
		feeds, desc, err := benchFeeds(m, *size, float32(*ds), *batch)
		if err != nil {
			return err
		}
		opt := &nn.RunOptions{Threads: *threads}
		if *threads <= 0 {
			opt.Threads = runtime.GOMAXPROCS(0)
		}
		run := func() error {
			out, err := m.Run(ctx, feeds, opt)
			if err != nil {
				return err
			}
			for i := 1; i <= 4; i++ { // recurrent state, when the model has it
				if r, ok := out[fmt.Sprintf("r%do", i)]; ok {
					feeds[fmt.Sprintf("r%di", i)] = r
				}
			}
			return nil
		}
		// A recurrent model's first frame (scalar state) has a plan of its
		// own; run it untimed even with --warmup 0 so that the timed runs
		// never include planning.
		prime := 0
		if _, ok := feeds["r1i"]; ok {
			prime = 1
		}
		for range *warmup + prime {
			if err := run(); err != nil {
				return err
			}
		}
		ms := make([]float64, *runs)
		for i := range ms {
			start := time.Now()
			if err := run(); err != nil {
				return err
			}
			ms[i] = float64(time.Since(start).Microseconds()) / 1000
		}
		slices.Sort(ms)
		med := ms[len(ms)/2]
		if len(ms)%2 == 0 {
			med = (ms[len(ms)/2-1] + ms[len(ms)/2]) / 2
		}
		fmt.Fprintf(env.Stdout, "%s %s threads=%d runs=%d: min %.2f ms, median %.2f ms\n", pos[0], desc, opt.Threads, *runs, ms[0], med)
		return nil
	}
	return c
}

// openModel resolves MODEL: an existing path, else a name in ZHENG_MODELS.
func openModel(env *Env, model string) (*nn.Model, error) {
	if strings.HasSuffix(model, ".json") || strings.ContainsRune(model, os.PathSeparator) {
		return nn.LoadFile(model)
	}
	return nn.LoadNamed(envDefault(env, "ZHENG_MODELS", "models"), model)
}

// parseInSpec parses NAME=FILE.f32:1x256x256x3 (an empty shape is a scalar).
func parseInSpec(spec string) (string, *nn.Tensor, error) {
	name, rest, ok := strings.Cut(spec, "=")
	i := strings.LastIndexByte(rest, ':')
	if !ok || name == "" || i < 0 {
		return "", nil, usagef("bad --in %q, want NAME=FILE.f32:SHAPE", spec)
	}
	file, dims := rest[:i], rest[i+1:]
	shape := []int{}
	if dims != "" {
		for _, d := range strings.Split(dims, "x") {
			v, err := strconv.Atoi(d)
			if err != nil || v < 0 {
				return "", nil, usagef("bad shape %q in --in %q", dims, spec)
			}
			shape = append(shape, v)
		}
	}
	t, err := nn.ReadF32(file, shape)
	if err != nil {
		return "", nil, err
	}
	return name, t, nil
}

// benchFeeds builds a deterministic input for every model input.
func benchFeeds(m *nn.Model, size string, ds float32, batch int) (map[string]*nn.Tensor, string, error) {
	w, h := -1, -1
	if size != "" {
		ws, hs, ok := strings.Cut(size, "x")
		var err1, err2 error
		w, err1 = strconv.Atoi(ws)
		h, err2 = strconv.Atoi(hs)
		if !ok || err1 != nil || err2 != nil || w <= 0 || h <= 0 {
			return nil, "", usagef("bad --size %q, want WxH", size)
		}
	}
	feeds := map[string]*nn.Tensor{}
	desc := ""
	for _, name := range m.Inputs() {
		shape := m.InputShape(name)
		switch {
		case name == "downsample_ratio":
			feeds[name] = &nn.Tensor{Shape: []int{}, Data: []float32{ds}}
			desc += fmt.Sprintf(" downsample=%g", ds)
			continue
		case len(shape) == 0 && (strings.HasPrefix(name, "r") && strings.HasSuffix(name, "i")):
			feeds[name] = &nn.Tensor{Shape: []int{}, Data: []float32{0}}
			continue
		case len(shape) != 4:
			return nil, "", fmt.Errorf("cannot make a benchmark input for %q of shape %v", name, shape)
		}
		s := slices.Clone(shape)
		if s[0] < 0 {
			s[0] = batch
		}
		if s[1] < 0 || (h > 0 && s[1] != h) {
			if h < 0 {
				return nil, "", usagef("model input %q has no fixed size; pass --size WxH", name)
			}
			s[1] = h
		}
		if s[2] < 0 || (w > 0 && s[2] != w) {
			s[2] = w
		}
		t := nn.NewTensor(s...)
		for i := range t.Data {
			t.Data[i] = float32(0.5 + 0.5*math.Sin(float64(i)*0.01))
		}
		feeds[name] = t
		desc = fmt.Sprintf("%s=%v", name, s) + desc
	}
	if len(feeds) == 0 {
		return nil, "", errors.New("model has no inputs")
	}
	return feeds, desc, nil
}

func safeFileName(s string) string {
	return strings.NewReplacer("/", "_", ":", "_", "\\", "_").Replace(s)
}
