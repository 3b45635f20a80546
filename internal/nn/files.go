package nn

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// FetchScript is the project script that downloads and verifies the models.
const FetchScript = "scripts/fetch-models.sh"

// ErrModelMissing reports a model that is absent or fails its checksum.
var ErrModelMissing = errors.New("nn: model missing or corrupt")

// LoadNamed loads model name (e.g. "rvm") from dir, the folder the fetch
// script fills. When dir holds the script's SHA256SUMS, the model's files are
// checked against it first.
func LoadNamed(dir, name string) (*Model, error) {
	jsonPath := filepath.Join(dir, name+".json")
	if _, err := os.Stat(jsonPath); err != nil {
		return nil, fmt.Errorf("%w: %s not found; run %s (models folder: %s)", ErrModelMissing, name+".json", FetchScript, dir)
	}
	if err := verifySums(dir, name); err != nil {
		return nil, err
	}
	return LoadFile(jsonPath)
}

// verifySums checks name.json and name.bin against dir/SHA256SUMS, if present.
func verifySums(dir, name string) error {
	f, err := os.Open(filepath.Join(dir, "SHA256SUMS"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, file, ok := strings.Cut(strings.TrimSpace(sc.Text()), "  ")
		if !ok || (file != name+".json" && file != name+".bin") {
			continue
		}
		got, err := fileSHA256(filepath.Join(dir, file))
		if err != nil {
			return fmt.Errorf("%w: %v; run %s", ErrModelMissing, err, FetchScript)
		}
		if got != sum {
			return fmt.Errorf("%w: %s has sha256 %s, want %s; run %s again", ErrModelMissing, file, got, sum, FetchScript)
		}
	}
	return sc.Err()
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ReadF32 reads raw little-endian float32 values (the reference tool's .f32
// format) and checks their count against shape.
func ReadF32(path string, shape []int) (*Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("nn: %w", err)
	}
	if want := numElems(shape) * 4; len(b) != want {
		return nil, fmt.Errorf("nn: %s has %d bytes, shape %v needs %d", path, len(b), shape, want)
	}
	t := &Tensor{Shape: append([]int{}, shape...), Data: make([]float32, len(b)/4)}
	for i := range t.Data {
		t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return t, nil
}

// WriteF32 writes t's data as raw little-endian float32.
func WriteF32(path string, t *Tensor) error {
	b := make([]byte, 4*len(t.Data))
	for i, v := range t.Data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	return nil
}
