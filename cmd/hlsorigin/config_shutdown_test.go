package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestShutdownTimeoutFlag(t *testing.T) {
	c, err := parseConfig(nil, io.Discard)
	if err != nil || c.ShutdownTimeout != 15*time.Second {
		t.Fatalf("default: %v %v, want 15s", c.ShutdownTimeout, err)
	}
	t.Setenv("HLSORIGIN_SHUTDOWN_TIMEOUT", "40s")
	if c, err = parseConfig(nil, io.Discard); err != nil || c.ShutdownTimeout != 40*time.Second {
		t.Fatalf("from the environment: %v %v, want 40s", c.ShutdownTimeout, err)
	}
	for _, bad := range []string{"0s", "-1s"} {
		if _, err := parseConfig([]string{"-shutdown-timeout", bad}, io.Discard); err == nil || !strings.Contains(err.Error(), "-shutdown-timeout") {
			t.Errorf("-shutdown-timeout %s: %v, want an error naming the flag", bad, err)
		}
	}
}
