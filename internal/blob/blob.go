// Package blob stores generated files (ID photos, print sheets) for a
// limited time and hands out URLs for them: a directory served by zheng at
// /files/<random name> (Local), or an S3-compatible bucket (S3). Callers
// see the Store interface they declare themselves; both types satisfy it.
package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultLifetime is how long a stored file stays available.
const DefaultLifetime = 24 * time.Hour

// Ref is a stored file: either an absolute URL (S3) or a path on this
// server ("/files/…"), which the HTTP layer turns into a URL with the
// public base.
type Ref struct {
	URL  string // absolute, when the store knows it
	Path string // server path, when served by zheng
}

// Resolve returns the URL of r, using base ("https://photos.example.com")
// for server paths.
func (r Ref) Resolve(base string) string {
	if r.URL != "" {
		return r.URL
	}
	return strings.TrimRight(base, "/") + r.Path
}

// randomName returns a name no one can guess, with ext.
func randomName(ext string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("blob: random name: %w", err)
	}
	return hex.EncodeToString(b[:]) + ext, nil
}

// extFor maps a content type to a file extension.
func extFor(contentType string) string {
	switch contentType {
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "application/json":
		return ".json"
	}
	return ".bin"
}

// Local keeps files in a directory and serves them under /files/. A file's
// age is its modification time; files older than the lifetime are not
// served and are removed by Sweep.
type Local struct {
	dir      string
	lifetime time.Duration
	now      func() time.Time
}

// NewLocal returns a store in dir (created if missing).
func NewLocal(dir string, lifetime time.Duration) (*Local, error) {
	if lifetime <= 0 {
		lifetime = DefaultLifetime
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	return &Local{dir: dir, lifetime: lifetime, now: time.Now}, nil
}

// Prefix is the URL path the Local store's files live under.
const Prefix = "/files/"

// Put stores data and returns its server path.
func (l *Local) Put(ctx context.Context, data []byte, contentType string) (Ref, error) {
	name, err := randomName(extFor(contentType))
	if err != nil {
		return Ref{}, err
	}
	tmp := filepath.Join(l.dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return Ref{}, fmt.Errorf("blob: write: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(l.dir, name)); err != nil {
		os.Remove(tmp)
		return Ref{}, fmt.Errorf("blob: write: %w", err)
	}
	return Ref{Path: Prefix + name}, nil
}

// ServeHTTP serves GET /files/<name>.
func (l *Local) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, Prefix)
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		http.NotFound(w, r)
		return
	}
	p := filepath.Join(l.dir, name)
	st, err := os.Stat(p)
	if err != nil || !st.Mode().IsRegular() || l.now().Sub(st.ModTime()) > l.lifetime {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeFile(w, r, p)
}

// Sweep removes files older than the lifetime and returns how many.
func (l *Local) Sweep() (int, error) {
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return 0, fmt.Errorf("blob: sweep: %w", err)
	}
	n := 0
	now := l.now()
	var errs []error
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		// Temporary files get an hour to be renamed.
		limit := l.lifetime
		if strings.HasSuffix(e.Name(), ".tmp") {
			limit = time.Hour
		}
		if now.Sub(info.ModTime()) > limit {
			if err := os.Remove(filepath.Join(l.dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
				continue
			}
			n++
		}
	}
	return n, errors.Join(errs...)
}

// RunSweeper sweeps every interval until ctx ends, logging what it did.
func (l *Local) RunSweeper(ctx context.Context, interval time.Duration, log *slog.Logger) {
	if interval <= 0 {
		interval = min(l.lifetime/24, time.Hour)
		interval = max(interval, time.Minute)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := l.Sweep()
			if err != nil {
				log.WarnContext(ctx, "blob sweep", "err", err)
			} else if n > 0 {
				log.DebugContext(ctx, "blob sweep", "removed", n)
			}
		}
	}
}
