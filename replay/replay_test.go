package replay

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"hlsorigin/fixtures"
	"hlsorigin/manifest"
	"hlsorigin/manifest/hlscheck"
	"hlsorigin/origin"
	"hlsorigin/origin/demo"
	"hlsorigin/timeline"
)

var t0 = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

// archive24h is 24 h of 2 s segments with n pauses of 5 slate segments.
func archive24h(n int) ([]timeline.SegmentInfo, []timeline.PauseInfo) {
	const segs = 43200
	out := make([]timeline.SegmentInfo, segs)
	var pauses []timeline.PauseInfo
	every := segs / (n + 1)
	for i := range out {
		kind := ""
		inPause := n > 0 && i%every >= every-5 && i/every < n
		if inPause {
			kind = "slate"
		}
		out[i] = timeline.SegmentInfo{Seq: uint64(i), InitVer: 1, Start: float64(2 * i), Duration: 2, PDT: t0.Add(time.Duration(i) * 2 * time.Second), Kind: kind,
			Disc:   i > 0 && (inPause != (out[i-1].Kind == "slate")),
			Starts: map[uint32]uint64{1: uint64(i) * 180000}, Ends: map[uint32]uint64{1: uint64(i+1) * 180000}}
		if inPause && i%every == every-5 {
			end := t0.Add(time.Duration(i+5) * 2 * time.Second)
			pauses = append(pauses, origin.Pause{ID: "p", StartedAt: out[i].PDT, EndedAt: &end})
		}
	}
	return out, pauses
}

var uris = URIs{Segment: origin.SegmentURI, Init: origin.InitURI}

func TestMediaOmitsPauses(t *testing.T) {
	segs, pauses := archive24h(100)
	m := Media(segs, pauses, 3, uris, Options{})
	if want := 43200 - 500; len(m.Segments) != want {
		t.Fatalf("%d segments, want %d", len(m.Segments), want)
	}
	discs := 0
	for _, s := range m.Segments {
		if s.Discontinuity {
			discs++
		}
	}
	if discs != 0 {
		t.Errorf("%d discontinuities, want none: the timeline is re-stamped across each junction", discs)
	}
	if got, want := m.Segments[len(m.Segments)-1].URI, fmt.Sprintf("43199.m4s?shift=1:-%d", 500*180000); got != want {
		t.Errorf("last segment %s, want %s (re-stamped over the 100 pauses left out)", got, want)
	}
	b, err := manifest.RenderMedia(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := hlscheck.CheckMedia(b); err != nil {
		t.Error(err)
	}
	keep := Media(segs, pauses, 3, uris, Options{KeepPauses: true})
	if len(keep.Segments) != 43200 || len(keep.DateRanges) != 100 {
		t.Errorf("keep: %d segments, %d date ranges", len(keep.Segments), len(keep.DateRanges))
	}
	if audio := Media(audioArchive(40), pauses, 3, uris, Options{KeepPauses: true, Reference: segs}); len(audio.DateRanges) != 100 {
		t.Errorf("keep, demuxed audio: %d date ranges, want the video's 100", len(audio.DateRanges))
	}
	short := Media(segs[:100], pauses, 3, uris, Options{MinRecording: time.Hour})
	if len(short.Segments) != 100 {
		t.Errorf("a recording shorter than the minimum lost its pauses: %d segments", len(short.Segments))
	}
	ranged := Media(segs, pauses, 3, uris, Options{From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour)})
	if len(ranged.Segments) == 0 || ranged.Segments[0].PDT.Before(t0.Add(time.Hour-2*time.Second)) {
		t.Errorf("from/to: %d segments from %v", len(ranged.Segments), ranged.Segments[0].PDT)
	}
}

// BenchmarkReplayPlaylist24h builds and renders the replay of a 24 h
// archive with 100 pauses; the baseline in the same run renders the
// archive as recorded (pauses kept).
func BenchmarkReplayPlaylist24h(b *testing.B) {
	segs, pauses := archive24h(100)
	run := func(opt Options) time.Duration {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if _, err := manifest.RenderMedia(Media(segs, pauses, 3, uris, opt)); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	keep := run(Options{KeepPauses: true})
	b.ResetTimer()
	omit := run(Options{})
	b.ReportMetric(float64(omit.Nanoseconds())/float64(b.N)/1e6, "ms/playlist")
	b.ReportMetric(float64(omit)/float64(keep), "x-vs-keep")
}

// exportFixture publishes n looped fixture segments into a real origin.
func exportFixture(tb testing.TB, n int) (*origin.Rendition, Export) {
	tb.Helper()
	o, err := origin.Open(origin.Config{DataDir: tb.TempDir()}, origin.Hooks{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { o.Close() })
	ch, _, _ := o.CreateChannel("x", "x")
	pub, err := demo.New(fixtures.Muxed(), "demo")
	if err != nil {
		tb.Fatal(err)
	}
	pub.Sleep = func(context.Context, time.Duration) error { return nil }
	if err := pub.Run(context.Background(), ch, n); err != nil {
		tb.Fatal(err)
	}
	r, err := ch.Rendition("demo")
	if err != nil {
		tb.Fatal(err)
	}
	ex, err := PlanMP4(r.Segments(), r.Init, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return r, ex
}

func TestExportReader(t *testing.T) {
	r, ex := exportFixture(t, 9)
	whole, err := io.ReadAll(mustReader(t, ex, r, 0, ex.Size))
	if err != nil || int64(len(whole)) != ex.Size {
		t.Fatalf("read %d of %d: %v", len(whole), ex.Size, err)
	}
	for _, rg := range [][2]int64{{0, 10}, {int64(len(ex.Init)) - 3, int64(len(ex.Init)) + 3}, {ex.Size - 7, ex.Size}} {
		part, _ := io.ReadAll(mustReader(t, ex, r, rg[0], rg[1]))
		if !bytes.Equal(part, whole[rg[0]:rg[1]]) {
			t.Errorf("range %v differs", rg)
		}
	}
}

func mustReader(t testing.TB, ex Export, r *origin.Rendition, from, to int64) *Reader {
	rd, err := NewReader(ex, r, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return rd
}

// BenchmarkExportMP4 streams a 60-segment export; the baseline in the same
// run reads the same stored segments as they are (no re-stamping).
func BenchmarkExportMP4(b *testing.B) {
	r, ex := exportFixture(b, 60)
	raw := func() {
		for _, p := range ex.Pieces {
			if _, _, err := r.Segment(p.Seq); err != nil {
				b.Fatal(err)
			}
		}
	}
	start := time.Now()
	for i := 0; i < b.N; i++ {
		raw()
	}
	base := time.Since(start)
	b.SetBytes(ex.Size)
	b.ResetTimer()
	start = time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := io.Copy(io.Discard, mustReader(b, ex, r, 0, ex.Size)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start))/float64(base), "x-vs-raw-read")
}
