package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAdminTokenRules(t *testing.T) {
	if _, err := parseConfig([]string{"-admin-token", "x"}, io.Discard); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Errorf("-admin-token x: %v, want a clear refusal", err)
	}
	file := filepath.Join(t.TempDir(), "admin")
	long := strings.Repeat("k", 40)
	if err := os.WriteFile(file, []byte(long+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := parseConfig([]string{"-admin-token-file", file}, io.Discard)
	if err != nil || c.AdminToken != long {
		t.Errorf("-admin-token-file: %q %v", c.AdminToken, err)
	}
	if _, err := parseConfig([]string{"-admin-token-file", file, "-admin-token", long}, io.Discard); err == nil {
		t.Error("-admin-token and -admin-token-file both accepted")
	}
	os.WriteFile(file, []byte("short\n"), 0o600)
	if _, err := parseConfig([]string{"-admin-token-file", file}, io.Discard); err == nil {
		t.Error("a short token from a file accepted")
	}
	if c, err := parseConfig(nil, io.Discard); err != nil || c.AdminToken != "" {
		t.Errorf("no token (random at start): %v", err)
	}
	tok, err := randomToken()
	if err != nil || len(tok) < minAdminToken {
		t.Errorf("random admin token %q (%d characters)", tok, len(tok))
	}
	for _, bad := range []string{"-trusted-proxies=10.0.0.0/33", "-allowed-origins=evil.example", "-max-voters-per-ip=0", "-max-json-bytes=0"} {
		if _, err := parseConfig([]string{bad}, io.Discard); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
