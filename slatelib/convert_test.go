package slatelib

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"hlsorigin/fixtures"
	"hlsorigin/origin"
	"hlsorigin/segments"
	"hlsorigin/slate"
)

// TestConvertedUploadsInEveryRendition: pictures and videos as hosts have
// them (PNG, JPEG, WebP, animated GIF, a phone MP4 with B-frames and AAC, a
// MOV, HEVC, VP9 WebM) are answered "processing", converted and approved;
// each gets every ladder variant plus the channel's rendition sizes, keeps
// its own audio, and a pause shows it in both renditions of a 2-rendition
// ladder at the rendition's own resolution with the upload's picture
// (quadrant colours of the decoded frame). The variants survive a restart.
func TestConvertedUploadsInEveryRendition(t *testing.T) {
	cc := needConverter(t)
	c := newClock()
	dir := t.TempDir()
	o := openTest(t, dir, c)
	closeAll := func() { o.lib.Close(); o.Close() }
	defer func() { closeAll() }()
	if err := o.lib.Configure(Config{Convert: cc}); err != nil {
		t.Fatal(err)
	}
	kinds := []string{"png", "jpeg", "webp", "gif", "phone", "mov", "hevc", "vp9"}
	withAudio := map[string]bool{"phone": true, "mov": true, "vp9": true}
	abr := fixtures.ABR()
	metas := map[string]Meta{}
	chans := map[string]*origin.Channel{}
	for _, k := range kinds {
		ch := newTestChannel(t, o, "c-"+k)
		for _, r := range abr {
			ingestOK(t, ch, r.InitName, r.Init)
		}
		publishStep(t, ch, c, 0) // live: the renditions' sizes are known
		start := time.Now()
		m, err := o.lib.Upload(ch, makeInput(t, k), UploadInfo{Title: k})
		if err != nil || m.Status != Processing {
			t.Fatalf("%s: upload: %v %+v", k, err, m)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("%s: upload answered after %s: the conversion must run off the request", k, d)
		}
		metas[k], chans[k] = m, ch
	}
	want := []string{"1920x1080", "1280x720", "854x480", "640x360", "426x240", "320x180", "256x144"}
	for _, k := range kinds {
		m := waitSettled(t, o.lib, metas[k].ID)
		if m.Status != Approved {
			t.Errorf("%s: %s (%s)", k, m.Status, m.Reason)
			continue
		}
		t.Logf("%s (%s): %d variants, %d bytes, audio %v", k, m.Source, len(m.Variants), m.Bytes, m.Audio)
		if !slices.Equal(m.Variants, want) || m.Width != 1920 || m.Height != 1080 {
			t.Errorf("%s: variants %v (%dx%d), want %v", k, m.Variants, m.Width, m.Height, want)
		}
		checkSlateAudio(t, o.Origin, m, withAudio[k])
		checkPauseShows(t, chans[k], c, m.ID)
	}
	closeAll()
	o = openTest(t, dir, c)
	for _, k := range kinds {
		m, _ := o.lib.Meta(metas[k].ID)
		v := o.SlateVariant(m.ID, 320, 180)
		if m.Status != Approved || !o.HasSlate(m.ID) || v == nil || v.Width != 320 || v.Height != 180 {
			t.Errorf("%s after restart: %s, variant %+v", k, m.Status, v)
		}
	}
}

// checkSlateAudio: the slate's own audio is stored (AAC, as long as the
// slate) exactly when the upload had audio.
func checkSlateAudio(t *testing.T, o *origin.Origin, m Meta, want bool) {
	t.Helper()
	b, err := o.Store().Record("sl", []string{"a", m.ID})
	if !want {
		if err == nil || m.Audio {
			t.Errorf("%s: audio stored for an upload without audio", m.Title)
		}
		return
	}
	if err != nil || !m.Audio {
		t.Errorf("%s: slate audio not stored: %v", m.Title, err)
		return
	}
	info, err := slate.CheckAudio(b)
	if err != nil || info.SampleRate != 48000 || info.Duration < m.Duration-0.1 {
		t.Errorf("%s: slate audio %+v (%v), want 48 kHz for %.2fs", m.Title, info, err, m.Duration)
	}
}

// publishStep ingests segment k of every ABR rendition, 2 s later.
func publishStep(t *testing.T, ch *origin.Channel, c *clock, k int) {
	t.Helper()
	c.Advance(2 * time.Second)
	for _, r := range fixtures.ABR() {
		ingestOK(t, ch, r.SegmentNames[k], r.Segments[k])
		ingestOK(t, ch, r.PlaylistName, playlistFor(r, k))
	}
}

// checkPauseShows pauses ch (live after segment 0) with slate id, publishes
// the rest of the ABR fixture and decodes the first slate segment of each
// video rendition.
func checkPauseShows(t *testing.T, ch *origin.Channel, c *clock, id string) {
	t.Helper()
	if p, err := ch.Pause(origin.PauseRequest{Slate: id}); err != nil || p.Slate.ID != id {
		t.Fatalf("pause: %v %+v", err, p)
	}
	publishStep(t, ch, c, 1)
	publishStep(t, ch, c, 2)
	videos := 0
	for _, r := range ch.Renditions() {
		info := r.Info()
		if info.Kind != "video" {
			continue
		}
		videos++
		i := slices.IndexFunc(r.Segments(), func(s origin.SegmentInfo) bool { return s.Kind == "slate" })
		if i < 0 {
			t.Errorf("%s: no slate segment", info.Name)
			continue
		}
		s := r.Segments()[i]
		init, err := r.Init(s.InitVer)
		if err != nil {
			t.Fatal(err)
		}
		data, _, err := r.Segment(s.Seq)
		if err != nil {
			t.Fatal(err)
		}
		checkCodecFits(t, init, info)
		rgb := decodeFrame(t, append(append([]byte(nil), init...), data...), info.Width, info.Height)
		if err := checkQuadrants(rgb, info.Width, info.Height, 40); err != nil {
			t.Errorf("%s %dx%d: %v", info.Name, info.Width, info.Height, err)
		}
	}
	if videos != 2 {
		t.Errorf("%d video renditions, want 2", videos)
	}
}

// checkCodecFits: the slate video in a rendition's slate init has the
// rendition's size, a profile no higher and a level no higher than the
// rendition's CODECS.
func checkCodecFits(t *testing.T, init []byte, info origin.RenditionInfo) {
	t.Helper()
	in, err := segments.ParseInit(init)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := in.Video()
	rc := videoCodecOf(info.Codecs)
	sp, sl := avcProfileLevel(t, v.Codec)
	rp, rl := avcProfileLevel(t, rc)
	sr, _ := slate.ProfileRank(sp)
	rr, _ := slate.ProfileRank(rp)
	if v.Width != info.Width || v.Height != info.Height || sr > rr || sl > rl {
		t.Errorf("%s: slate video %s %dx%d in a %s %dx%d rendition", info.Name, v.Codec, v.Width, v.Height, rc, info.Width, info.Height)
	}
}

func avcProfileLevel(t *testing.T, codec string) (profile, level int) {
	t.Helper()
	var constraints int
	if _, err := fmt.Sscanf(strings.TrimPrefix(codec, "avc1."), "%02x%02x%02x", &profile, &constraints, &level); err != nil {
		t.Fatalf("codec %q: %v", codec, err)
	}
	return profile, level
}

// TestConvertRefusals: what the converter cannot take gets a clear error
// (4xx through the API) before anything is stored; a file that probes but
// does not decode is rejected with the reason and keeps no media.
func TestConvertRefusals(t *testing.T) {
	cc := needConverter(t)
	o := openTest(t, t.TempDir(), newClock())
	defer o.Close()
	defer o.lib.Close()
	if err := o.lib.Configure(Config{Convert: cc}); err != nil {
		t.Fatal(err)
	}
	ch := newTestChannel(t, o, "bad")
	png := makeInput(t, "png")
	for _, tc := range []struct {
		name string
		file []byte
		err  error
		says string
	}{
		{"random bytes", randomBytes(4000), ErrBadMedia, "not an image or video"},
		{"text", []byte(strings.Repeat("just some notes, not a picture\n", 50)), ErrBadMedia, "not an image or video"},
		{"too long", makeInput(t, "too long"), ErrBadMedia, "at most 60s"},
		{"unsupported codec", makeInput(t, "mpeg4"), ErrBadMedia, `video codec "mpeg4"`},
		{"truncated PNG", png[:len(png)/3], nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := slateRecords(t, o.Origin)
			m, err := o.lib.Upload(ch, tc.file, UploadInfo{Title: tc.name})
			t.Logf("%v", err)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.says) {
					t.Errorf("got %v %+v, want %v saying %q", err, m, tc.err, tc.says)
				}
				if after := slateRecords(t, o.Origin); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("records %v -> %v after a refused upload", before, after)
				}
				return
			}
			// refused now, or rejected when found only during conversion
			if err == nil {
				m = waitSettled(t, o.lib, m.ID)
				if m.Status != Rejected || m.Reason == "" {
					t.Errorf("%+v, want rejected with a reason", m)
				}
				t.Logf("rejected: %s", m.Reason)
			} else if !errors.Is(err, ErrBadMedia) {
				t.Errorf("error %v, want bad media", err)
			}
			if n := slateRecords(t, o.Origin); n["v"]+n["x"]+n["a"] != 0 {
				t.Errorf("media records %v after a bad upload", n)
			}
		})
	}
	if o.HasSlate("") || len(o.lib.ChannelSlates(ch)) > 1 {
		t.Errorf("slates listed: %+v", o.lib.ChannelSlates(ch))
	}
}
