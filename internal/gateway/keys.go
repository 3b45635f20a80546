package gateway

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// MasterKeySize is the length of the master key in bytes (AES-256).
const MasterKeySize = 32

// MasterKeyFile is the name of the generated master key in the data dir.
const MasterKeyFile = "master.key"

// Keyring seals AppSecrets and hashes AppCodes with keys derived from the
// master key. AppSecrets must be recoverable (HMAC needs them), so they are
// encrypted (AES-256-GCM, bound to the app id); AppCodes are only compared,
// so they are stored as keyed hashes.
type Keyring struct {
	aead    cipher.AEAD
	codeKey []byte
	check   string
	macs    sync.Pool // of *codeMAC
}

// codeMAC is an HMAC-SHA256 keyed with the AppCode key and a buffer to
// feed it the code without allocating.
type codeMAC struct {
	h        hash.Hash
	buf, out []byte
}

// NewKeyring derives the keyring from a 32-byte master key.
func NewKeyring(master []byte) (*Keyring, error) {
	if len(master) != MasterKeySize {
		return nil, fmt.Errorf("master key: %d bytes, want %d", len(master), MasterKeySize)
	}
	block, err := aes.NewCipher(derive(master, "zheng gateway seal v1"))
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	k := &Keyring{
		aead:    aead,
		codeKey: derive(master, "zheng gateway appcode v1"),
		check:   hex.EncodeToString(derive(master, "zheng gateway check v1")[:8]),
	}
	k.macs.New = func() any { return &codeMAC{h: hmac.New(sha256.New, k.codeKey)} }
	return k, nil
}

func derive(master []byte, label string) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Check is a fingerprint of the master key, stored beside the data so that
// starting with a different key fails loudly instead of failing every
// signature.
func (k *Keyring) Check() string { return k.check }

// Seal encrypts secret for appID.
func (k *Keyring) Seal(appID string, secret Secret) []byte {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(secret)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("gateway: crypto/rand failed: " + err.Error())
	}
	return k.aead.Seal(nonce, nonce, []byte(secret), []byte(appID))
}

// Open decrypts a secret sealed for appID.
func (k *Keyring) Open(appID string, sealed []byte) (Secret, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("sealed secret too short")
	}
	plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], []byte(appID))
	if err != nil {
		return "", fmt.Errorf("open secret of app %s (wrong master key?): %w", appID, err)
	}
	return Secret(plain), nil
}

// HashCode returns the stored form of an AppCode: hex of codeSum.
func (k *Keyring) HashCode(code string) string {
	sum := k.codeSum(code)
	return hex.EncodeToString(sum[:])
}

// codeSum is the keyed hash of an AppCode; the request path uses it
// unencoded, so that a cached lookup allocates nothing.
func (k *Keyring) codeSum(code string) [sha256.Size]byte {
	m := k.macs.Get().(*codeMAC)
	m.h.Reset()
	if len(code) <= 256 { // AppCodes are at most 180 characters
		m.buf = append(m.buf[:0], code...)
		m.h.Write(m.buf)
	} else {
		io.WriteString(m.h, code)
	}
	var sum [sha256.Size]byte
	m.out = m.h.Sum(m.out[:0]) // into sum directly, sum would escape
	copy(sum[:], m.out)
	k.macs.Put(m)
	return sum
}

// ParseMasterKey reads a master key written as 64 hex digits or as base64
// (standard or URL alphabet, padded or not) of 32 bytes.
func ParseMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == MasterKeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == MasterKeySize {
			return b, nil
		}
	}
	return nil, errors.New("master key must be 32 bytes written as 64 hex digits or base64")
}

// LoadOrCreateMasterKey reads <dataDir>/master.key, creating it (mode 0600)
// with a random key when absent. created reports a new key.
func LoadOrCreateMasterKey(dataDir string) (key []byte, created bool, err error) {
	path := filepath.Join(dataDir, MasterKeyFile)
	data, err := os.ReadFile(path)
	if err == nil {
		key, err := ParseMasterKey(string(data))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("read master key: %w", err)
	}
	key = make([]byte, MasterKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, false, fmt.Errorf("generate master key: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, false, fmt.Errorf("data dir: %w", err)
	}
	// O_EXCL: two processes starting at once must not both write a key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateMasterKey(dataDir)
	}
	if err != nil {
		return nil, false, fmt.Errorf("create master key: %w", err)
	}
	_, werr := f.WriteString(hex.EncodeToString(key) + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, false, fmt.Errorf("write master key: %w", werr)
	}
	return key, true, nil
}
