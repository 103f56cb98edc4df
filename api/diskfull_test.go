package api

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"

	"hlsorigin/fixtures"
	"hlsorigin/manifest/hlscheck"
	"hlsorigin/origin"
	"hlsorigin/segments"
)

// nextSegment is fixture segment k of an endless loop of the muxed
// fixture, retimed so the timeline runs on.
func nextSegment(t *testing.T, k int) []byte {
	t.Helper()
	m := fixtures.Muxed()
	in, err := segments.ParseInit(m.Init)
	if err != nil {
		t.Fatal(err)
	}
	loop := map[uint32]int64{}
	for _, b := range m.Segments {
		seg, err := segments.ParseSegment(b, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range seg.Tracks {
			loop[tr.TrackID] += int64(tr.Duration)
		}
	}
	off := map[uint32]int64{}
	for id, d := range loop {
		off[id] = int64(k/len(m.Segments)) * d
	}
	out, err := segments.Retime(m.Segments[k%len(m.Segments)], in, off)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var segURI = regexp.MustCompile(`(?m)^(\d+\.m4s)$`)

// TestDiskFullKeepsServing: with less free space than the reserve
// (MinFreeBytes above what the disk has), ingest answers 507 JSON and
// stores nothing, while the playlists and every stored segment are still
// served and a host can still pause (fail closed).
func TestDiskFullKeepsServing(t *testing.T) {
	dir := t.TempDir()
	fs := newFixtureServerCfg(t, origin.Config{DataDir: dir}, Options{AdminToken: testAdmin})
	segs := map[string][]byte{}
	pl := fs.playlistBytes(t)
	for _, u := range segURI.FindAllString(string(pl), -1) {
		_, b := fs.status(t, "GET", "/live/c/index/"+u, "", "")
		segs[u] = b
	}
	if len(segs) != 3 {
		t.Fatalf("fixture playlist lists %d segments:\n%s", len(segs), pl)
	}
	key, host := fs.key, fs.host
	if err := fs.o.Close(); err != nil {
		t.Fatal(err)
	}

	full := newFixtureServerCfgOnly(t, origin.Config{DataDir: dir, MinFreeBytes: 1 << 62}, Options{AdminToken: testAdmin})
	before := full.state(t)
	st, b := full.status(t, "PUT", "/ingest/c/seg3.m4s", key, string(nextSegment(t, 3)))
	var e apiError
	if st != 507 || json.Unmarshal(b, &e) != nil || e.Code != "disk_full" {
		t.Fatalf("ingest on a full disk: %d %s, want 507 JSON disk_full", st, b)
	}
	if st, b := full.status(t, "PUT", "/ingest/c/other0.m4s", key, string(nextSegment(t, 4))); st != 507 {
		t.Errorf("staging on a full disk: %d %s, want 507", st, b)
	}
	if after := full.state(t); after != before {
		t.Errorf("a refused ingest changed the state:\n%+v\n%+v", before, after)
	}
	if got := full.playlistBytes(t); !bytes.Equal(got, pl) {
		t.Errorf("playlist changed on a full disk:\n%s\nwas\n%s", got, pl)
	}
	if err := hlscheck.CheckMedia(full.playlistBytes(t)); err != nil {
		t.Errorf("playlist on a full disk: %v", err)
	}
	for u, want := range segs {
		if st, got := full.status(t, "GET", "/live/c/index/"+u, "", ""); st != 200 || !bytes.Equal(got, want) {
			t.Errorf("segment %s on a full disk: %d, %d bytes (want %d)", u, st, len(got), len(want))
		}
	}
	if st, _ := full.status(t, "GET", "/live/c/index.m3u8", "", ""); st != 200 {
		t.Errorf("multivariant on a full disk: %d", st)
	}
	if st, b := full.status(t, "POST", "/api/v1/channels/c/pause", host, ""); st != 200 {
		t.Errorf("pause on a full disk: %d %s (a pause record may use the reserve)", st, b)
	}
	if ch, _ := full.o.Channel("c"); ch.State() != "paused" {
		t.Error("not paused")
	}
}

// newFixtureServerCfgOnly opens a server over an existing data directory
// (no fixture ingest).
func newFixtureServerCfgOnly(t *testing.T, cfg origin.Config, opt Options) *fixtureServer {
	t.Helper()
	o, err := origin.Open(cfg, origin.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	s, err := New(o, opt)
	if err != nil {
		t.Fatal(err)
	}
	return &fixtureServer{s: s, o: o}
}
