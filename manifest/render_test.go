package manifest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func liveModel() Media {
	end := t0.Add(5 * time.Second)
	segs := []Segment{
		{Seq: 41, URI: "41.m4s", Duration: 2, MapURI: "init-1.mp4", PDT: t0},
		{Seq: 42, URI: "42.m4s", Duration: 2, MapURI: "init-1.mp4", PDT: t0.Add(2 * time.Second)},
		{Seq: 43, URI: "43.m4s", Duration: 1.5, MapURI: "init-2.mp4", PDT: t0.Add(4 * time.Second), Discontinuity: true},
		{Seq: 44, URI: "44.m4s", Duration: 2, MapURI: "init-2.mp4", PDT: t0.Add(5500 * time.Millisecond)},
		{Seq: 45, URI: "45.m4s", Duration: 2, MapURI: "init-1.mp4", PDT: t0.Add(7500 * time.Millisecond), Discontinuity: true},
	}
	return Media{TargetDuration: 3, MediaSequence: 41, DiscontinuitySeq: 7, Segments: segs,
		DateRanges: []DateRange{{ID: "pause-p1", Class: "com.hlsorigin.pause", Start: t0.Add(4 * time.Second), End: &end,
			Attrs: map[string]string{"X-PAUSE-ID": "p1", "X-SLATE": "default"}}}}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestRenderGolden(t *testing.T) {
	vod := liveModel()
	vod.VOD, vod.DiscontinuitySeq, vod.DateRanges = true, 0, nil
	cases := []struct {
		name string
		m    Media
	}{{"live", liveModel()}, {"vod", vod}}
	for _, tc := range cases {
		b, err := RenderMedia(tc.m)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		golden(t, tc.name, b)
		again, _ := RenderMedia(tc.m)
		b[0] = 'X' // the caller owns the bytes: mutating them changes nothing
		if again[0] != '#' || !bytes.Equal(again[1:], b[1:]) {
			t.Errorf("%s: rendering is not deterministic or aliases a buffer", tc.name)
		}
	}
}

func TestRenderMultivariantGolden(t *testing.T) {
	m := Multivariant{Independent: true,
		Renditions: []Rendition{{Type: "AUDIO", GroupID: "aud", Name: "stream_0", URI: "stream_0/index.m3u8", Default: true, AutoSelect: true, Channels: "2"}},
		Variants: []Variant{
			{URI: "stream_1/index.m3u8", Bandwidth: 470000, AverageBandwidth: 400000, Codecs: "avc1.4d401e,mp4a.40.2", Width: 640, Height: 360, FrameRate: 30, Audio: "aud"},
			{URI: "stream_2/index.m3u8", Bandwidth: 270000, Codecs: "avc1.4d400d,mp4a.40.2", Width: 320, Height: 180, FrameRate: 30, Audio: "aud"},
		}}
	b, err := RenderMultivariant(m)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "multivariant", b)
}

func TestRenderRefuses(t *testing.T) {
	long := liveModel()
	long.Segments[1].Duration = 3.6 // rounds to 4 > target 3
	gap := liveModel()
	gap.Segments[2].Seq = 50
	nopdt := liveModel()
	for i := range nopdt.Segments {
		nopdt.Segments[i].PDT = time.Time{}
	}
	for name, m := range map[string]Media{"too long": long, "sequence gap": gap, "daterange without PDT": nopdt, "no target": {}} {
		if _, err := RenderMedia(m); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
}

func TestWindowFor(t *testing.T) {
	var segs []Segment
	for i := 0; i < 20; i++ {
		segs = append(segs, Segment{Seq: uint64(i), Duration: 2})
	}
	if w := WindowFor(segs, 3, 4, 4); len(w) != 6 || w[0].Seq != 14 {
		t.Errorf("window: %d segments from %d, want 6 from 14 (12 s >= 4 x 3 s)", len(w), w[0].Seq)
	}
	if w := WindowFor(segs[:2], 3, 4, 4); len(w) != 2 {
		t.Errorf("short: %d", len(w))
	}
	if w := WindowFor(segs, 1, 5, 3); len(w) != 5 {
		t.Errorf("min segments: %d", len(w))
	}
}

func BenchmarkRenderMedia(b *testing.B) {
	for _, n := range []int{5, 5000} {
		m := Media{TargetDuration: 3}
		for i := 0; i < n; i++ {
			m.Segments = append(m.Segments, Segment{Seq: uint64(i), URI: "x.m4s", Duration: 2, MapURI: "init-1.mp4", PDT: t0.Add(time.Duration(i) * 2 * time.Second)})
		}
		b.Run(map[int]string{5: "5", 5000: "5000"}[n], func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := RenderMedia(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
