package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestPublishDelayFlag(t *testing.T) {
	c, err := parseConfig(nil, io.Discard)
	if err != nil || c.PublishDelay != 0 {
		t.Fatalf("default: %v %v, want 0", c.PublishDelay, err)
	}
	t.Setenv("HLSORIGIN_PUBLISH_DELAY", "6s")
	if c, err = parseConfig(nil, io.Discard); err != nil || c.PublishDelay != 6*time.Second {
		t.Fatalf("from the environment: %v %v, want 6s", c.PublishDelay, err)
	}
	for _, bad := range []string{"-1s", "2h"} {
		if _, err := parseConfig([]string{"-publish-delay", bad}, io.Discard); err == nil || !strings.Contains(err.Error(), "-publish-delay") {
			t.Errorf("-publish-delay %s: %v, want an error naming the flag", bad, err)
		}
	}
}
