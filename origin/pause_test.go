package origin

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"

	"hlsorigin/fixtures"
	"hlsorigin/manifest/hlscheck"
)

// videoChunks returns a 48-byte chunk from the middle of each video sample
// of a fixture segment (track 1 in the muxed fixture).
func videoChunks(t *testing.T, r fixtures.Rendition, seg []byte) [][]byte {
	t.Helper()
	in, err := mp4.DecodeFile(bytes.NewReader(r.Init))
	if err != nil {
		t.Fatal(err)
	}
	f, err := mp4.DecodeFile(bytes.NewReader(seg))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, fr := range f.Segments[0].Fragments {
		ss, err := fr.GetFullSamples(in.Init.Moov.Mvex.Trexs[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			if len(s.Data) >= 200 {
				mid := len(s.Data) / 2
				out = append(out, append([]byte(nil), s.Data[mid:mid+48]...))
			}
		}
	}
	return out
}

// onDisk counts chunks found in any file under dir.
func onDisk(t *testing.T, dir string, chunks [][]byte) int {
	t.Helper()
	found := map[int]bool{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		for i, c := range chunks {
			if bytes.Contains(b, c) {
				found[i] = true
			}
		}
		return nil
	})
	return len(found)
}

// TestPauseNeverStoresHostVideo: segments that arrive while paused are
// stored as slate + host audio; no byte of their host video reaches the
// data directory; the pause survives a restart (fail closed).
func TestPauseNeverStoresHostVideo(t *testing.T) {
	c := newClock()
	dir := t.TempDir()
	o := openTest(t, dir, c)
	ch := newTestChannel(t, o, "p")
	m := fixtures.Muxed()
	startLive(t, ch, c, m)
	p, err := ch.Pause(PauseRequest{})
	if err != nil || p.Slate.ID != DefaultSlateID {
		t.Fatalf("pause: %v %+v", err, p)
	}
	for k := 1; k < 3; k++ {
		c.Advance(2 * time.Second)
		ingestOK(t, ch, m.SegmentNames[k], m.Segments[k])
		ingestOK(t, ch, m.PlaylistName, playlistFor(m, k))
	}
	r, _ := ch.Rendition("index")
	segs := r.Segments()
	if len(segs) != 3 || segs[0].Kind != "" || segs[1].Kind != "slate" || segs[2].Kind != "slate" || !segs[1].Disc {
		t.Fatalf("timeline: %+v", segs)
	}
	pl, _ := r.Playlist()
	if err := hlscheck.CheckMedia(pl.Body); err != nil || !strings.Contains(string(pl.Body), "#EXT-X-DATERANGE:ID=\"pause-") {
		t.Errorf("playlist: %v\n%s", err, pl.Body)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	paused := append(videoChunks(t, m, m.Segments[1]), videoChunks(t, m, m.Segments[2])...)
	if n := onDisk(t, dir, paused); n != 0 {
		t.Errorf("%d of %d host video samples captured while paused are on disk", n, len(paused))
	}
	live := videoChunks(t, m, m.Segments[0])
	if n := onDisk(t, dir, live); n != len(live) {
		t.Errorf("the search is broken: only %d of %d live samples found on disk", n, len(live))
	}

	o2 := openTest(t, dir, c)
	defer o2.Close()
	ch2, _ := o2.Channel("p")
	if ch2.State() != "paused" {
		t.Fatalf("after restart: %s, want paused", ch2.State())
	}
	// A new encoder session after the restart (timestamps start over) is
	// still cut: media time restarts, the wall-clock pause holds.
	ingestOK(t, ch2, m.InitName, m.Init)
	c.Advance(2 * time.Second)
	ingestOK(t, ch2, "seg7.m4s", m.Segments[0])
	r2, _ := ch2.Rendition("index")
	if s := r2.Segments(); s[len(s)-1].Kind != "slate" {
		t.Errorf("after restart a host segment was stored live: %+v", s[len(s)-1])
	}
	if _, err := ch2.Resume(nil); err != nil {
		t.Fatal(err)
	}
	// seg8 was captured from 30 ms before the resume and its only keyframe
	// is its first frame: it stays slate; live video returns at the next
	// keyframe, the start of seg9.
	c.Advance(2 * time.Second)
	ingestOK(t, ch2, "seg8.m4s", m.Segments[1])
	c.Advance(2 * time.Second)
	ingestOK(t, ch2, "seg9.m4s", m.Segments[2])
	s := r2.Segments()
	if s[len(s)-2].Kind != "slate" || s[len(s)-1].Kind != "" || !s[len(s)-1].Disc {
		t.Errorf("after resume: %+v, %+v", s[len(s)-2], s[len(s)-1])
	}
}

// TestPauseStagedKeptInMemory: a segment whose rendition is not known yet
// (no playlist so far) is staged in memory, not on disk, while paused.
func TestPauseStagedKeptInMemory(t *testing.T) {
	c := newClock()
	dir := t.TempDir()
	o := openTest(t, dir, c)
	ch := newTestChannel(t, o, "s")
	if _, err := ch.Pause(PauseRequest{Audio: "mute"}); err != nil {
		t.Fatal(err)
	}
	m := fixtures.Muxed()
	c.Advance(2 * time.Second)
	ingestOK(t, ch, m.SegmentNames[0], m.Segments[0]) // before init and playlist
	o.Close()
	if n := onDisk(t, dir, videoChunks(t, m, m.Segments[0])); n != 0 {
		t.Errorf("%d staged host video samples on disk while paused", n)
	}
}

// TestEarliestStartTracksLeastLag: a stream anchored while its encoder was
// slow (PDT late by 1.2 s) whose later segments arrive 0.1 s after their
// end: the earliest plausible capture is 1.1 s before the PDT; after a
// discontinuity the history starts over.
func TestEarliestStartTracksLeastLag(t *testing.T) {
	r := &Rendition{segs: []SegmentInfo{{}}}
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	seg := func(i int, lag float64, disc bool) time.Time {
		info := SegmentInfo{PDT: t0.Add(time.Duration(i) * 2 * time.Second), Duration: 2, Disc: disc}
		arrived := info.PDT.Add(time.Duration((2 + lag) * float64(time.Second)))
		return r.earliestStart(info, arrived)
	}
	if got := seg(0, 0, false); !got.Equal(t0) {
		t.Errorf("first segment: %v, want its PDT", got)
	}
	seg(1, -1.1, false) // arrives 1.1 s sooner after its end than the anchor did
	if got, want := seg(2, -0.5, false), t0.Add(4*time.Second-1100*time.Millisecond); got.Sub(want).Abs() > time.Millisecond {
		t.Errorf("earliest start %v, want %v", got, want)
	}
	if got, want := seg(3, 0.3, true), t0.Add(6*time.Second); !got.Equal(want) {
		t.Errorf("after a discontinuity %v, want the PDT %v", got, want)
	}
}

// TestResumeBeforeFirstPresentation: with B-frames the first sync sample of
// a segment is presented after the segment's start. A resume instant that
// maps between the two leaves the segment whole; after a slate it must
// still carry the host's parameter sets in band, or a player that keeps
// the slate's decoder configuration cannot decode the host video.
func TestResumeBeforeFirstPresentation(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	ch := newTestChannel(t, o, "bf")
	b := fixtures.BFrames()
	startLive(t, ch, c, b)
	if _, err := ch.Pause(PauseRequest{}); err != nil {
		t.Fatal(err)
	}
	c.Advance(1010 * time.Millisecond)
	if _, err := ch.Resume(nil); err != nil { // maps to 10 ms after segment 2 starts
		t.Fatal(err)
	}
	c.Advance(990 * time.Millisecond)
	ingestOK(t, ch, b.SegmentNames[1], b.Segments[1])
	ingestOK(t, ch, b.PlaylistName, playlistFor(b, 1))
	c.Advance(2 * time.Second)
	ingestOK(t, ch, b.SegmentNames[2], b.Segments[2])
	ingestOK(t, ch, b.PlaylistName, playlistFor(b, 2))

	r, _ := ch.Rendition("index")
	segs := r.Segments()
	if len(segs) != 3 || segs[1].Kind != "slate" || segs[2].Kind != "" {
		t.Fatalf("segments %+v, want live, slate, live", segs)
	}
	in, err := mp4.DecodeFile(bytes.NewReader(b.Init))
	if err != nil {
		t.Fatal(err)
	}
	sps := in.Init.Moov.Trak.Mdia.Minf.Stbl.Stsd.AvcX.AvcC.SPSnalus[0]
	data, _, err := r.Segment(segs[2].Seq)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, sps) {
		t.Error("first live segment after the slate lacks the host's SPS in band")
	}
	if bytes.Contains(b.Segments[2], sps) {
		t.Fatal("fixture already carries its SPS in band: the test proves nothing")
	}
}

// TestCutNeverLetsPausedFramesThrough: whatever the pipeline latency of
// each segment (the anchor's included), the cut maps the pause instant to a
// media time no later than the true one (no paused frame served), and no
// earlier than the larger of the anchor's and the segment's own latency
// (plus PauseMargin) explain: the origin cannot know capture times, so it
// takes the latest capture either bound allows.
func TestCutNeverLetsPausedFramesThrough(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	capture0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	const dur = 2.0
	at := func(s float64) time.Time { return capture0.Add(time.Duration(s * float64(time.Second))) }
	for round := range 500 {
		latency0 := rng.Float64() * 3
		// The program date time was anchored on segment 0's arrival.
		pdtOf := func(i int) time.Time { return at(float64(i)*dur + latency0) }
		r := &Rendition{segs: []SegmentInfo{{}}}
		for i := range 20 {
			lat := 0.05 + rng.Float64()*2.5
			start := float64(i) * dur
			info := SegmentInfo{PDT: pdtOf(i), Duration: dur}
			arrived := at(start + dur + lat) // capture of the last frame plus latency
			earliest := r.earliestStart(info, arrived)
			pause := start + rng.Float64()*dur // true capture instant of the pause
			ch := &Channel{o: &Origin{}, pauses: []Pause{{StartedAt: at(pause)}}}
			from, _, p := ch.cutFor(start, dur, info.PDT, arrived, earliest)
			if p == nil {
				t.Fatalf("round %d seg %d: pause at %.2f not found", round, i, pause)
			}
			if from > pause+1e-9 {
				t.Fatalf("round %d seg %d: cut at %.3f after the pause at %.3f (latency0 %.2f, latency %.2f)",
					round, i, from, pause, latency0, lat)
			}
			if early := pause - from; !math.IsInf(from, -1) && early > math.Max(latency0, lat)+PauseMargin+1e-6 {
				t.Fatalf("round %d seg %d: cut %.3f s early (latency0 %.2f, latency %.2f)", round, i, early, latency0, lat)
			}
		}
	}
}
