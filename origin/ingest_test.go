package origin

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"hlsorigin/fixtures"
	"hlsorigin/manifest/hlscheck"
	"hlsorigin/segments"
)

func TestIngestMuxedInFFmpegOrder(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	ch := newTestChannel(t, o, "a")
	publishFixture(t, ch, c, fixtures.Muxed())
	r, err := ch.Rendition("index")
	if err != nil {
		t.Fatal(err)
	}
	segs := r.Segments()
	if len(segs) != 3 {
		t.Fatalf("%d segments, want 3", len(segs))
	}
	for i, s := range segs {
		if s.Seq != uint64(i) || s.Disc || s.Duration < 1.95 || s.Duration > 2.05 {
			t.Errorf("segment %d: %+v", i, s)
		}
		data, _, err := r.Segment(s.Seq)
		if err != nil || !bytes.Equal(data, fixtures.Muxed().Segments[i]) {
			t.Errorf("segment %d bytes differ (err %v)", i, err)
		}
	}
	if segs[1].PDT.Sub(segs[0].PDT) != 2*time.Second {
		t.Errorf("PDT step %v, want 2s", segs[1].PDT.Sub(segs[0].PDT))
	}
	p, err := r.Playlist()
	if err != nil {
		t.Fatal(err)
	}
	if err := hlscheck.CheckMedia(p.Body); err != nil {
		t.Errorf("media playlist: %v\n%s", err, p.Body)
	}
	mv, err := ch.Multivariant()
	if err != nil {
		t.Fatal(err)
	}
	if err := hlscheck.CheckMultivariant(mv.Body); err != nil {
		t.Errorf("multivariant: %v\n%s", err, mv.Body)
	}
	// avc1.4d401e (the host, Main 3.0) raised to cover the Main 4.0 slate.
	if !strings.Contains(string(mv.Body), `CODECS="avc1.4d4028,mp4a.40.2"`) || !strings.Contains(string(mv.Body), "RESOLUTION=640x360") {
		t.Errorf("multivariant lacks codecs/resolution:\n%s", mv.Body)
	}
}

// TestIngestABROutOfOrder replays the order ffmpeg really uses with
// -var_stream_map: an init may arrive after its first segment and playlist.
func TestIngestABROutOfOrder(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	ch := newTestChannel(t, o, "abr")
	rs := fixtures.ABR()
	// segment 0 and playlist of every rendition first, inits last
	for _, r := range rs {
		ingestOK(t, ch, r.SegmentNames[0], r.Segments[0])
		ingestOK(t, ch, r.PlaylistName, playlistFor(r, 0))
	}
	if n := len(ch.Renditions()); n != 0 {
		t.Fatalf("%d renditions published before any init", n)
	}
	for _, r := range rs {
		ingestOK(t, ch, r.InitName, r.Init)
	}
	ingestOK(t, ch, "master.m3u8", fixtures.ABRMaster())
	for k := 1; k < 3; k++ {
		c.Advance(2 * time.Second)
		for _, r := range rs {
			ingestOK(t, ch, r.SegmentNames[k], r.Segments[k])
			ingestOK(t, ch, r.PlaylistName, playlistFor(r, k))
		}
	}
	rends := ch.Renditions()
	if len(rends) != 3 {
		t.Fatalf("%d renditions, want 3", len(rends))
	}
	for _, r := range rends {
		if n := len(r.Segments()); n != 3 {
			t.Errorf("%s: %d segments, want 3", r.Name(), n)
		}
	}
	mv, _ := ch.Multivariant()
	body := string(mv.Body)
	if err := hlscheck.CheckMultivariant(mv.Body); err != nil {
		t.Errorf("multivariant: %v\n%s", err, body)
	}
	for _, want := range []string{`TYPE=AUDIO`, `GROUP-ID="aud"`, `AUDIO="aud"`, `RESOLUTION=320x180`, `RESOLUTION=640x360`} {
		if !strings.Contains(body, want) {
			t.Errorf("multivariant lacks %s:\n%s", want, body)
		}
	}
}

func TestIngestRefusesBadMedia(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	ch := newTestChannel(t, o, "bad")
	m := fixtures.Muxed()
	publishFixture(t, ch, c, m)
	other := fixtures.ABR()[0] // audio-only segment: tracks do not match
	cases := []struct {
		desc string
		name string
		body []byte
		want error
	}{
		{"garbage", "seg9.m4s", []byte("not an mp4 at all"), ErrBadMedia},
		{"truncated", "seg9.m4s", m.Segments[1][:len(m.Segments[1])/2], ErrBadMedia},
		{"wrong tracks", "seg9.m4s", other.Segments[0], ErrBadMedia},
		{"timestamps backwards", "seg9.m4s", m.Segments[0], ErrBadMedia},
		{"bad init", "init.mp4", []byte("nope"), ErrBadMedia},
		{"bad playlist", "index.m3u8", []byte("hello"), ErrInvalid},
		{"path traversal", "..m4s", m.Segments[0], ErrInvalid},
		{"unknown kind", "index.txt", []byte("x"), ErrInvalid},
	}
	r, _ := ch.Rendition("index")
	before := len(r.Segments())
	for _, tc := range cases {
		err := ch.Ingest(tc.name, tc.body)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.desc, err, tc.want)
		}
	}
	if after := len(r.Segments()); after != before {
		t.Errorf("bad input changed the timeline: %d -> %d segments", before, after)
	}
}

func TestIngestIdempotentAndRestart(t *testing.T) {
	c := newClock()
	dir := t.TempDir()
	o := openTest(t, dir, c)
	ch := newTestChannel(t, o, "idem")
	m := fixtures.Muxed()
	publishFixture(t, ch, c, m)
	ingestOK(t, ch, m.SegmentNames[2], m.Segments[2]) // the same PUT again
	r, _ := ch.Rendition("index")
	if n := len(r.Segments()); n != 3 {
		t.Fatalf("duplicate PUT added a segment: %d", n)
	}
	// Encoder restart: init again, timestamps start over.
	startLive(t, ch, c, m) // same segment name as before, new session
	segs := r.Segments()
	if len(segs) != 4 || !segs[3].Disc || segs[3].DiscNum != 1 {
		t.Fatalf("restart: want a 4th segment after a discontinuity, got %+v", segs)
	}
	p, _ := r.Playlist()
	if !strings.Contains(string(p.Body), "#EXT-X-DISCONTINUITY\n") {
		t.Errorf("no discontinuity in playlist:\n%s", p.Body)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	o2 := openTest(t, dir, c)
	defer o2.Close()
	ch2, err := o2.Channel("idem")
	if err != nil {
		t.Fatal(err)
	}
	r2, err := ch2.Rendition("index")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r2.Segments()); n != 4 {
		t.Fatalf("after restart %d segments, want 4", n)
	}
	data, _, err := r2.Segment(1)
	if err != nil || !bytes.Equal(data, m.Segments[1]) {
		t.Errorf("segment 1 after restart: %v", err)
	}
	p2, _ := r2.Playlist()
	if !bytes.Equal(p.Body, p2.Body) {
		t.Errorf("playlist changed across restart:\n%s\nvs\n%s", p.Body, p2.Body)
	}
	c.Advance(2 * time.Second)
	ingestOK(t, ch2, "seg3.m4s", m.Segments[1]) // the encoder goes on
	if s := r2.Segments(); len(s) != 5 || s[4].Seq != 4 || s[4].Disc {
		t.Errorf("continuing after restart: %+v", s[len(s)-1])
	}
	if err := ch2.CheckStreamKey("wrong"); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("wrong key accepted: %v", err)
	}
}

var _ = segments.KindVideo

// TestIngestResentLastSegment: ffmpeg rewrites its last segment when it
// stops (same name, same timestamps, other bytes): acknowledged, kept once.
func TestIngestResentLastSegment(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	ch := newTestChannel(t, o, "re")
	m := fixtures.Muxed()
	publishFixture(t, ch, c, m)
	again := append([]byte(nil), m.Segments[2]...)
	again[len(again)-1] ^= 0xff // last byte of the last sample's payload
	ingestOK(t, ch, m.SegmentNames[2], again)
	r, _ := ch.Rendition("index")
	if n := len(r.Segments()); n != 3 {
		t.Fatalf("%d segments after a re-send, want 3", n)
	}
	if data, _, _ := r.Segment(2); !bytes.Equal(data, m.Segments[2]) {
		t.Error("the re-sent bytes replaced the stored segment")
	}
	if err := ch.Ingest("seg7.m4s", again); !errors.Is(err, ErrBadMedia) {
		t.Errorf("the same timestamps under a new name: %v, want ErrBadMedia", err)
	}
}
