package idphoto_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/image/draw"

	"github.com/zhengapi/zheng/internal/idphoto"
	"github.com/zhengapi/zheng/internal/imageio"
)

// benchInput returns a portrait from the shared test photos (never
// committed), resized to w×h and encoded as JPEG quality 90; w = 0 keeps
// the photo as it is.
func benchInput(b *testing.B, name string, w, h int) []byte {
	data, err := os.ReadFile(filepath.Join(portraits(b), name))
	if err != nil {
		b.Fatal(err)
	}
	if w == 0 {
		return data
	}
	img, _, err := imageio.Decode(data, nil)
	if err != nil {
		b.Fatal(err)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Rect, img, img.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func benchMaker(b *testing.B, workers int) *idphoto.Maker {
	ms := loadModels(b)
	m, err := idphoto.New(idphoto.Config{Finder: ms.finder, Matter: ms.matter, Workers: workers, Queue: 64})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// stageTimes accumulates the report's per-stage times.
type stageTimes map[string]float64

func (s stageTimes) add(r *idphoto.Report) {
	for k, v := range r.StagesMS {
		s[k] += v
	}
}

func (s stageTimes) report(b *testing.B, n int) {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.ReportMetric(s[k]/float64(n), k+"-ms")
	}
}

// BenchmarkMake measures one photo at a time: a 1200×1600 JPEG and a
// 22-megapixel one (3840×5760) to 一寸, with p50 and per-stage times.
func BenchmarkMake(b *testing.B) {
	for _, tc := range []struct {
		name string
		file string
		w, h int
	}{
		{"input=1200x1600", "hivision_test0.jpg", 1200, 1600},
		{"input=22MP", "liying_test1.jpg", 0, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			data := benchInput(b, tc.file, tc.w, tc.h)
			m := benchMaker(b, 1)
			st := stageTimes{}
			var lat []float64
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			cpu0 := cpuSeconds()
			for b.Loop() {
				start := time.Now()
				res, err := m.Make(context.Background(), &idphoto.Request{Image: data, Spec: "一寸", BgColor: "blue"})
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, float64(time.Since(start).Microseconds())/1000)
				st.add(res.Report)
			}
			if cpu := cpuSeconds(); cpu > 0 {
				b.ReportMetric(1000*(cpu-cpu0)/float64(len(lat)), "cpu-ms/op")
			}
			sort.Float64s(lat)
			b.ReportMetric(lat[len(lat)/2], "p50-ms")
			st.report(b, len(lat))
		})
	}
}

// BenchmarkMakeParallel measures throughput with 4 requests in flight
// (on any core count) and the process's peak resident memory.
func BenchmarkMakeParallel(b *testing.B) {
	for _, tc := range []struct {
		name string
		file string
		w, h int
	}{
		{"input=1200x1600/conc=4", "hivision_test0.jpg", 1200, 1600},
		{"input=22MP/conc=4", "liying_test1.jpg", 0, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			data := benchInput(b, tc.file, tc.w, tc.h)
			// BENCH_WORKERS compares pool sizes (default: one per core).
			workers, _ := strconv.Atoi(os.Getenv("BENCH_WORKERS"))
			m := benchMaker(b, workers)
			var done atomic.Int64
			b.SetParallelism((4 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			start, cpu0 := time.Now(), cpuSeconds()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := m.Make(context.Background(), &idphoto.Request{Image: data, Spec: "一寸"}); err != nil {
						b.Error(err)
						return
					}
					done.Add(1)
				}
			})
			b.ReportMetric(float64(done.Load())/time.Since(start).Seconds(), "photos/s")
			// CPU time per photo does not depend on what else runs on the
			// machine: on an idle one, photos/s ≈ cores ÷ it.
			if cpu := cpuSeconds(); cpu > 0 && done.Load() > 0 {
				b.ReportMetric(1000*(cpu-cpu0)/float64(done.Load()), "cpu-ms/photo")
			}
			if mb := peakRSSMB(); mb > 0 {
				b.ReportMetric(mb, "peak-RSS-MB")
			}
		})
	}
}

// peakRSSMB reads the process's peak resident set (Linux), 0 elsewhere.
func peakRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

// cpuSeconds reads the process's user and system CPU time from
// /proc/self/stat (Linux, in USER_HZ = 100 ticks), 0 elsewhere.
func cpuSeconds() float64 {
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces): state is the
	// first, utime and stime the 12th and 13th.
	i := strings.LastIndexByte(string(data), ')')
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100
}
