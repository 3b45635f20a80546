package gateway

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCharge(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	today := Day(now)
	later, sooner := now.Add(48*time.Hour), now.Add(24*time.Hour)
	tests := []struct {
		name    string
		pkgs    []Package
		product string
		wantID  int64
		wantErr error
	}{
		{"no packages", nil, "cert", 0, ErrNotSubscribed},
		{"other product only", []Package{{ID: 1, Product: "idphoto", Total: 5, ExpiresAt: later}}, "cert", 0, ErrNotSubscribed},
		{"one with calls", []Package{{ID: 1, Product: "cert", Total: 5, Used: 4, ExpiresAt: later}}, "cert", 1, nil},
		{"used up", []Package{{ID: 1, Product: "cert", Total: 5, Used: 5, ExpiresAt: later}}, "cert", 0, ErrExhausted},
		{"expired", []Package{{ID: 1, Product: "cert", Total: 5, ExpiresAt: now}}, "cert", 0, ErrExhausted},
		{"earliest expiry first", []Package{
			{ID: 1, Product: "cert", Total: 5, ExpiresAt: later},
			{ID: 2, Product: "cert", Total: 5, ExpiresAt: sooner},
		}, "cert", 2, nil},
		{"skips used-up earlier one", []Package{
			{ID: 1, Product: "cert", Total: 5, ExpiresAt: later},
			{ID: 2, Product: "cert", Total: 5, Used: 5, ExpiresAt: sooner},
		}, "cert", 1, nil},
		{"daily cap reached today", []Package{{ID: 1, Product: "cert", Total: 50, DailyCap: 3, Day: today, DayUsed: 3, ExpiresAt: later}}, "cert", 0, ErrDailyCap},
		{"daily cap counted yesterday", []Package{{ID: 1, Product: "cert", Total: 50, DailyCap: 3, Day: "2026-11-22", DayUsed: 3, ExpiresAt: later}}, "cert", 1, nil},
		{"capped one skipped for another", []Package{
			{ID: 1, Product: "cert", Total: 50, DailyCap: 3, Day: today, DayUsed: 3, ExpiresAt: sooner},
			{ID: 2, Product: "cert", Total: 5, ExpiresAt: later},
		}, "cert", 2, nil},
		{"exhausted beats cap in the answer only when nothing is capped", []Package{
			{ID: 1, Product: "cert", Total: 5, Used: 5, ExpiresAt: later},
			{ID: 2, Product: "cert", Total: 50, DailyCap: 1, Day: today, DayUsed: 1, ExpiresAt: later},
		}, "cert", 0, ErrDailyCap},
	}
	for _, tc := range tests {
		id, err := charge(tc.pkgs, tc.product, now)
		if id != tc.wantID || !errors.Is(err, tc.wantErr) {
			t.Errorf("%s: charge(%s) = %d, %v; want %d, %v", tc.name, tc.product, id, err, tc.wantID, tc.wantErr)
		}
	}
}

func TestDayIsChinaStandardTime(t *testing.T) {
	// 16:30 UTC is 00:30 the next day in Beijing.
	if got, want := Day(time.Date(2026, 11, 23, 16, 30, 0, 0, time.UTC)), "2026-11-24"; got != want {
		t.Errorf("Day = %s, want %s", got, want)
	}
}

func TestKeyringSealAndHash(t *testing.T) {
	k1, err := NewKeyring(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	other := make([]byte, 32)
	other[0] = 1
	k2, _ := NewKeyring(other)
	sealed := k1.Seal("app1", "s3cret")
	if got, err := k1.Open("app1", sealed); err != nil || got != "s3cret" {
		t.Errorf("Open = %q, %v; want s3cret", got, err)
	}
	if _, err := k1.Open("app2", sealed); err == nil {
		t.Error("secret sealed for app1 opened for app2")
	}
	if _, err := k2.Open("app1", sealed); err == nil {
		t.Error("secret opened with another master key")
	}
	if k1.HashCode("c") == k2.HashCode("c") || k1.Check() == k2.Check() {
		t.Error("AppCode hashes or key checks do not depend on the master key")
	}
	if _, err := NewKeyring(make([]byte, 16)); err == nil {
		t.Error("16-byte master key accepted")
	}
}

func TestParseMasterKey(t *testing.T) {
	hex64 := "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{hex64, true},
		{hex64 + "\n", true},
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", true},
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", true},
		{hex64[:62], false},
		{"not a key", false},
	} {
		_, err := ParseMasterKey(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseMasterKey(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

func TestLoadOrCreateMasterKey(t *testing.T) {
	dir := t.TempDir()
	k1, created, err := LoadOrCreateMasterKey(dir)
	if err != nil || !created {
		t.Fatalf("first LoadOrCreateMasterKey: created=%v err=%v", created, err)
	}
	k2, created, err := LoadOrCreateMasterKey(dir)
	if err != nil || created || string(k1) != string(k2) {
		t.Fatalf("second LoadOrCreateMasterKey: created=%v err=%v same=%v", created, err, string(k1) == string(k2))
	}
	fi, err := os.Stat(filepath.Join(dir, MasterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("master key file mode = %v, want 0600", fi.Mode().Perm())
	}
}

func TestDaysOfAgreesWithDay(t *testing.T) {
	var d Days
	start := time.Date(2026, 11, 23, 15, 59, 58, 0, time.UTC) // 23:59:58 in UTC+8
	for _, step := range []time.Duration{0, time.Second, time.Second, time.Second, -2 * time.Second, 48 * time.Hour, -72 * time.Hour, time.Nanosecond} {
		start = start.Add(step)
		if got, want := d.Of(start), Day(start); got != want {
			t.Errorf("Days.Of(%v) = %s, want %s", start, got, want)
		}
	}
}
