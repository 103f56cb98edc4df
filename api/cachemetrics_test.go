package api

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"hlsorigin/fixtures"
	"hlsorigin/origin"
)

// A segment no longer in the hot set is served with the stored bytes and
// the same headers twice; the second time from the archive segment cache,
// which /metrics counts.
func TestArchiveSegmentCacheOverHTTP(t *testing.T) {
	fs := newFixtureServerCfg(t, origin.Config{DataDir: t.TempDir(), HotSegments: 1}, Options{AdminToken: testAdmin})
	m := fixtures.Muxed()
	var etags []string
	for range 2 {
		resp := fs.req(t, "GET", "/live/c/index/0.m4s", "", "")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !bytes.Equal(body, m.Segments[0]) {
			t.Fatalf("GET 0.m4s: %d, %d bytes", resp.StatusCode, len(body))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != immutable {
			t.Fatalf("Cache-Control %q", cc)
		}
		etags = append(etags, resp.Header.Get("ETag"))
	}
	if etags[0] == "" || etags[0] != etags[1] {
		t.Fatalf("ETags %q", etags)
	}
	resp := fs.req(t, "GET", "/metrics", "", "")
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{"hlsorigin_segment_cache_hits_total 1\n", "hlsorigin_segment_cache_misses_total 1\n"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
