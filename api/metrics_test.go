package api

import (
	"regexp"
	"strconv"
	"testing"
)

// metricValue reads one sample line of the /metrics exposition.
func metricValue(t *testing.T, body []byte, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatalf("%s: %v", series, err)
	}
	return v
}

// TestRequestMetrics: every request is counted once under its route class
// and the status actually sent, and timed under its route class.
func TestRequestMetrics(t *testing.T) {
	fs := newFixtureServer(t)
	_, before := fs.status(t, "GET", "/metrics", "", "")
	for range 3 {
		if code, _ := fs.status(t, "GET", "/live/c/index/index.m3u8", "", ""); code != 200 {
			t.Fatalf("playlist: %d", code)
		}
	}
	resp := fs.raw(t, "GET", "/live/c/index/index.m3u8", "", nil, map[string]string{"If-None-Match": "*"})
	if resp.StatusCode != 304 {
		t.Fatalf("conditional GET: %d", resp.StatusCode)
	}
	for _, p := range []string{"/live/c/index/999.m4s", "/replay/nope/index.m3u8"} {
		if code, _ := fs.status(t, "GET", p, "", ""); code != 404 {
			t.Fatalf("%s: %d", p, code)
		}
	}
	if code, _ := fs.status(t, "GET", "/live/c/index/418.m4s?x", "", ""); code != 404 {
		t.Fatalf("missing segment: %d", code)
	}
	_, after := fs.status(t, "GET", "/metrics", "", "")
	delta := func(series string) float64 { return metricValue(t, after, series) - metricValue(t, before, series) }
	for series, want := range map[string]float64{
		`hlsorigin_http_requests_total{route="live_playlist",status="200"}`:               3,
		`hlsorigin_http_requests_total{route="live_playlist",status="304"}`:               1,
		`hlsorigin_http_requests_total{route="live_media",status="404"}`:                  2,
		`hlsorigin_http_requests_total{route="replay",status="404"}`:                      1,
		`hlsorigin_http_request_duration_seconds_count{route="live_playlist"}`:            4,
		`hlsorigin_http_request_duration_seconds_count{route="live_media"}`:               2,
		`hlsorigin_http_requests_total{route="other",status="200"}`:                       1, // the first /metrics
		`hlsorigin_http_request_duration_seconds_bucket{route="replay",le="+Inf"}`:        1,
		`hlsorigin_http_request_duration_seconds_count{route="ingest"}`:                   0,
		`hlsorigin_http_requests_total{route="live_playlist",status="404"}`:               0,
		`hlsorigin_http_request_duration_seconds_bucket{route="live_playlist",le="+Inf"}`: 4,
	} {
		if got := delta(series); got != want {
			t.Errorf("%s went up by %v, want %v", series, got, want)
		}
	}
}
