package api

import (
	"bytes"
	"io"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"

	"hlsorigin/fixtures"
	"hlsorigin/segments"
)

// TestReplaySegmentRequests: a replay segment URI re-stamps (shift),
// merges (n) or trims (from, to) stored segments; a malformed request is a
// 400 JSON error, one the media cannot satisfy a 422 or 404.
func TestReplaySegmentRequests(t *testing.T) {
	fs := newFixtureServer(t)
	m := fixtures.Muxed()
	in, err := segments.ParseInit(m.Init)
	if err != nil {
		t.Fatal(err)
	}
	seg1, _ := segments.ParseSegment(m.Segments[1], in)
	seg2, _ := segments.ParseSegment(m.Segments[2], in)
	for _, tc := range []struct {
		desc, query string
		seq         string
		wantStatus  int
		wantTfdt    uint64 // first track's tfdt in the answer
		wantSamples int
	}{
		{"re-stamped", "?shift=1:-30720,2:-97280", "1", 200, 0, seg1.Tracks[0].Samples},
		{"merged", "?n=2", "1", 200, seg1.Tracks[0].BaseDecodeTime, seg1.Tracks[0].Samples + seg2.Tracks[0].Samples},
		{"merged and re-stamped", "?n=2&shift=1:-30720,2:-97280", "1", 200, 0, seg1.Tracks[0].Samples + seg2.Tracks[0].Samples},
		{"too many merged", "?n=9", "1", 400, 0, 0},
		{"bad shift", "?shift=x", "1", 400, 0, 0},
		{"shift of a missing track", "?shift=7:5", "1", 400, 0, 0},
		{"empty trim", "?from=10&to=5", "1", 400, 0, 0},
		{"trim of a muxed segment", "?from=0&to=100", "1", 400, 0, 0},
		{"merge past the end", "?n=2", "2", 404, 0, 0},
		{"shift below zero", "?shift=1:-99999999", "1", 422, 0, 0},
	} {
		resp := fs.raw(t, "GET", "/replay/c/index/"+tc.seq+".m4s"+tc.query, "", nil, nil)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tc.wantStatus {
			t.Errorf("%s: %d %s, want %d", tc.desc, resp.StatusCode, body, tc.wantStatus)
			continue
		}
		if tc.wantStatus != 200 {
			continue
		}
		got, err := segments.ParseSegment(body, in)
		if err != nil {
			t.Errorf("%s: %v", tc.desc, err)
			continue
		}
		if v, src := tfdtVersion(t, body), tfdtVersion(t, m.Segments[1]); v != src {
			t.Errorf("%s: tfdt version %d, stored %d", tc.desc, v, src)
		}
		if got.Tracks[0].BaseDecodeTime != tc.wantTfdt || got.Tracks[0].Samples != tc.wantSamples {
			t.Errorf("%s: tfdt %d, %d samples; want %d, %d", tc.desc, got.Tracks[0].BaseDecodeTime, got.Tracks[0].Samples, tc.wantTfdt, tc.wantSamples)
		}
	}
}

func tfdtVersion(t *testing.T, b []byte) byte {
	t.Helper()
	f, err := mp4.DecodeFile(bytes.NewReader(b))
	if err != nil || len(f.Segments) == 0 {
		t.Fatalf("decode: %v", err)
	}
	return f.Segments[0].Fragments[0].Moof.Traf.Tfdt.Version
}
