package nn

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadNamed(t *testing.T) {
	src := modelsDir(t)
	dir := t.TempDir()
	for _, f := range []string{"iris.json", "iris.bin"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	jsonSum, _ := fileSHA256(filepath.Join(dir, "iris.json"))
	binSum, _ := fileSHA256(filepath.Join(dir, "iris.bin"))
	writeSums := func(bin string) {
		t.Helper()
		sums := jsonSum + "  iris.json\n" + bin + "  iris.bin\n"
		if err := os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(sums), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	writeSums(binSum)
	if _, err := LoadNamed(dir, "iris"); err != nil {
		t.Fatalf("LoadNamed with matching sums: %v", err)
	}

	writeSums(strings.Repeat("0", 64))
	_, err := LoadNamed(dir, "iris")
	if !errors.Is(err, ErrModelMissing) || !strings.Contains(err.Error(), FetchScript) {
		t.Errorf("LoadNamed with a wrong hash = %v, want ErrModelMissing naming %s", err, FetchScript)
	}

	_, err = LoadNamed(dir, "rvm")
	if !errors.Is(err, ErrModelMissing) || !strings.Contains(err.Error(), FetchScript) {
		t.Errorf("LoadNamed of an absent model = %v, want ErrModelMissing naming %s", err, FetchScript)
	}
}

func TestF32RoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.f32")
	want := &Tensor{Shape: []int{2, 2}, Data: []float32{1, -2.5, 3e-8, 4}}
	if err := WriteF32(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadF32(path, []int{2, 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Data {
		if got.Data[i] != want.Data[i] {
			t.Fatalf("ReadF32 = %v, want %v", got.Data, want.Data)
		}
	}
	if _, err := ReadF32(path, []int{5}); err == nil {
		t.Error("ReadF32 with a shape of the wrong size succeeded")
	}
	if got, err := ReadF32(path, []int{}); err == nil {
		t.Errorf("ReadF32 of 16 bytes as a scalar = %v, want error", got)
	}
}
