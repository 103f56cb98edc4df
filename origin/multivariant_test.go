package origin

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"hlsorigin/fixtures"
	"hlsorigin/manifest"
	"hlsorigin/manifest/hlscheck"
	"hlsorigin/segments"
)

// loopABR publishes every ABR fixture rendition for n segments each, the
// fixture looped with its timestamps shifted, in ffmpeg's order: after the
// encoder's multivariant (when master), each segment followed by its
// playlist; after is called after every segment.
func loopABR(t *testing.T, ch *Channel, c *clock, n int, master bool, after func(k int)) {
	t.Helper()
	if master {
		ingestOK(t, ch, "master.m3u8", fixtures.ABRMaster())
	}
	for _, r := range fixtures.ABR() {
		ingestOK(t, ch, r.InitName, r.Init)
	}
	loopABRRange(t, ch, c, 0, n, after)
}

// loopABRFrom goes on publishing segments from to to (exclusive).
func loopABRFrom(t *testing.T, ch *Channel, c *clock, from, to int) {
	t.Helper()
	loopABRRange(t, ch, c, from, to, func(int) {})
}

func loopABRRange(t *testing.T, ch *Channel, c *clock, from, to int, after func(k int)) {
	t.Helper()
	rends := fixtures.ABR()
	ins := make([]*segments.Init, len(rends))
	for i, r := range rends {
		in, err := segments.ParseInit(r.Init)
		if err != nil {
			t.Fatal(err)
		}
		ins[i] = in
	}
	for k := from; k < to; k++ {
		c.Advance(2 * time.Second)
		for i, r := range rends {
			j := k % len(r.Segments)
			body, err := segments.Retime(r.Segments[j], ins[i], loopOffsets(t, r, ins[i], k/len(r.Segments)))
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("stream_%d_%d.m4s", i, k)
			ingestOK(t, ch, name, body)
			pl := fmt.Sprintf("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:%d\n#EXT-X-MAP:URI=%q\n#EXTINF:2.000000,\n%s\n",
				k, r.InitName, name)
			ingestOK(t, ch, r.PlaylistName, []byte(pl))
		}
		after(k)
	}
}

// loopOffsets shifts loop number loop of a fixture rendition past the previous loops.
func loopOffsets(t *testing.T, r fixtures.Rendition, in *segments.Init, loop int) map[uint32]int64 {
	off := map[uint32]int64{}
	for _, b := range r.Segments {
		seg, err := segments.ParseSegment(b, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range seg.Tracks {
			off[tr.TrackID] += int64(loop) * int64(tr.Duration)
		}
	}
	return off
}

func multivariantBody(t *testing.T, ch *Channel) string {
	t.Helper()
	mv, err := ch.Multivariant()
	if err != nil {
		t.Fatal(err)
	}
	if err := hlscheck.CheckMultivariant(mv.Body); err != nil {
		t.Fatalf("%v\n%s", err, mv.Body)
	}
	return string(mv.Body)
}

// TestMultivariantStable: over 60 segments of each rendition the
// multivariant is rendered once per session: BANDWIDTH is the encoder's
// declared value when it sends its multivariant (else the first measured
// one) and does not follow each segment's size; no PROGRAM-ID (removed in
// protocol version 6); CHANNELS on the audio rendition.
func TestMultivariantStable(t *testing.T) {
	for _, master := range []bool{true, false} {
		t.Run(fmt.Sprintf("master=%v", master), func(t *testing.T) {
			c := newClock()
			dir := t.TempDir()
			o := openTest(t, dir, c)
			ch := newTestChannel(t, o, "mv")
			var bodies []string
			loopABR(t, ch, c, 60, master, func(k int) {
				if b := multivariantBody(t, ch); len(bodies) == 0 || bodies[len(bodies)-1] != b {
					bodies = append(bodies, b)
				}
			})
			if len(bodies) != 1 {
				t.Errorf("the multivariant changed %d times over 60 segments:\n%s", len(bodies)-1, strings.Join(bodies, "\n"))
			}
			last := bodies[len(bodies)-1]
			if strings.Contains(last, "PROGRAM-ID") || !strings.Contains(last, `CHANNELS="`) {
				t.Errorf("PROGRAM-ID or no CHANNELS:\n%s", last)
			}
			// fixtures/abr/master.m3u8 declares 400400 for stream_1, audio included.
			if declared := strings.Contains(last, "BANDWIDTH=400400,"); declared != master {
				t.Errorf("declared bandwidth used: %v, want %v:\n%s", declared, master, last)
			}
			o.Close()
			o2 := openTest(t, dir, c)
			defer o2.Close()
			ch2, _ := o2.Channel("mv")
			if again := multivariantBody(t, ch2); again != last {
				t.Errorf("the multivariant changed across a restart:\n%s\n%s", last, again)
			}
		})
	}
}

// TestBandwidthAdvertised: the advertised value follows a new init or a
// peak above 1.5x, nothing else.
func TestBandwidthAdvertised(t *testing.T) {
	var a advertised
	steps := []struct {
		ver, peak, avg, decl uint32
		want                 uint32
	}{
		{1, 500, 400, 0, 500},   // first measurement
		{1, 740, 600, 0, 500},   // under 1.5x: kept
		{1, 300, 200, 0, 500},   // lower: kept
		{1, 760, 600, 0, 760},   // over 1.5x: a real change
		{1, 900, 600, 0, 760},   // under 1.5x of the new value
		{2, 300, 250, 0, 300},   // a new init starts over
		{2, 320, 250, 400, 400}, // the encoder's declaration arrives
		{2, 590, 500, 400, 400}, // under 1.5x the declared
		{2, 610, 500, 400, 610}, // over
	}
	for i, s := range steps {
		if got, _ := a.update(s.ver, s.peak, s.avg, s.decl); got != s.want {
			t.Errorf("step %d: %d, want %d", i, got, s.want)
		}
	}
}

// TestDateRangeAtSlateInstants: the pause's EXT-X-DATERANGE starts at the
// program date time of the first slate part served and ends at the end of
// the last one, not at the API's pause and resume instants; it has no
// END-DATE until a live segment follows the slate.
func TestDateRangeAtSlateInstants(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	ch := newTestChannel(t, o, "dr")
	m := fixtures.Muxed()
	startLive(t, ch, c, m)
	c.Advance(700 * time.Millisecond) // the pause falls inside segment 1
	if _, err := ch.Pause(PauseRequest{}); err != nil {
		t.Fatal(err)
	}
	c.Advance(1300 * time.Millisecond)
	ingestOK(t, ch, m.SegmentNames[1], m.Segments[1])
	ingestOK(t, ch, m.PlaylistName, playlistFor(m, 1))
	r, _ := ch.Rendition("index")
	d := dateRangeOf(t, r)
	if d == nil || d["END-DATE"] != "" {
		t.Fatalf("open pause: date range %v", d)
	}
	openStart := d["START-DATE"]
	if _, err := ch.Resume(nil); err != nil {
		t.Fatal(err)
	}
	in, _ := segments.ParseInit(m.Init)
	for k := 2; k < 5; k++ {
		c.Advance(2 * time.Second)
		body, err := segments.Retime(m.Segments[k%3], in, loopOffsets(t, m, in, k/3))
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("seg%d.m4s", k)
		ingestOK(t, ch, name, body)
		ingestOK(t, ch, m.PlaylistName, []byte(fmt.Sprintf("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:%d\n#EXT-X-MAP:URI=%q\n#EXTINF:2.000000,\n%s\n", k, m.InitName, name)))
	}
	var first, last *SegmentInfo
	segs := r.Segments()
	for i := range segs {
		if segs[i].Kind == "slate" {
			if first == nil {
				first = &segs[i]
			}
			last = &segs[i]
		}
	}
	if first == nil || segs[len(segs)-1].Kind == "slate" {
		t.Fatalf("timeline %+v: want live, slate, live", segs)
	}
	d = dateRangeOf(t, r)
	if d["START-DATE"] != openStart { // RFC 8216 4.3.2.7.1: same ID, same attribute values
		t.Errorf("START-DATE changed from %s to %s", openStart, d["START-DATE"])
	}
	p := ch.Pauses()[0]
	wantEnd := last.PDT.Add(time.Duration(last.Duration * float64(time.Second)))
	if d["START-DATE"] != first.PDT.UTC().Format("2006-01-02T15:04:05.000Z07:00") ||
		d["END-DATE"] != wantEnd.UTC().Format("2006-01-02T15:04:05.000Z07:00") {
		t.Errorf("date range %s .. %s; first slate part at %v, last ends %v (pause %v .. %v)",
			d["START-DATE"], d["END-DATE"], first.PDT, wantEnd, p.StartedAt, p.EndedAt)
	}
	if first.PDT.Equal(p.StartedAt) {
		t.Fatal("the slate starts at the pause instant: the test proves nothing")
	}
}

func dateRangeOf(t *testing.T, r *Rendition) map[string]string {
	t.Helper()
	pl, err := r.Playlist()
	if err != nil {
		t.Fatal(err)
	}
	if err := hlscheck.CheckMedia(pl.Body); err != nil {
		t.Fatalf("%v\n%s", err, pl.Body)
	}
	for _, l := range strings.Split(string(pl.Body), "\n") {
		if v, ok := strings.CutPrefix(l, "#EXT-X-DATERANGE:"); ok {
			a, err := manifest.ParseAttributes(v)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
	}
	return nil
}

// TestCodecsCoverSlate: before any pause the multivariant's CODECS already
// covers the slate the variant would splice in (the bundled slates are H.264
// Main 4.0, the fixture Main 3.0), and after a pause the checker finds every
// init the media playlist maps (host and slate) covered, at the variant's
// resolution.
func TestCodecsCoverSlate(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	ch := newTestChannel(t, o, "cc")
	m := fixtures.Muxed()
	startLive(t, ch, c, m)
	before := multivariantBody(t, ch)
	if _, err := ch.Pause(PauseRequest{}); err != nil {
		t.Fatal(err)
	}
	c.Advance(2 * time.Second)
	ingestOK(t, ch, m.SegmentNames[1], m.Segments[1])
	ingestOK(t, ch, m.PlaylistName, playlistFor(m, 1))
	if after := multivariantBody(t, ch); after != before {
		t.Errorf("the multivariant changed at the pause:\n%s\n%s", before, after)
	}
	r, _ := ch.Rendition("index")
	pl, _ := r.Playlist()
	attrs := streamInf(t, before)
	lookup := func(uri string) (hlscheck.InitInfo, error) {
		var ver uint32
		if _, err := fmt.Sscanf(uri, "init-%d.mp4", &ver); err != nil {
			return hlscheck.InitInfo{}, err
		}
		in, err := r.InitInfo(ver)
		if err != nil {
			return hlscheck.InitInfo{}, err
		}
		var info hlscheck.InitInfo
		for _, tr := range in.Tracks {
			info.Codecs = append(info.Codecs, tr.Codec)
			if tr.Kind == segments.KindVideo {
				info.Width, info.Height = tr.Width, tr.Height
			}
		}
		return info, nil
	}
	if !strings.Contains(string(pl.Body), "init-2.mp4") {
		t.Fatalf("no slate init in\n%s", pl.Body)
	}
	if err := hlscheck.CheckCodecs(attrs["CODECS"], attrs["RESOLUTION"], pl.Body, lookup); err != nil {
		t.Error(err)
	}
	in, _ := r.InitInfo(1)
	host, _ := in.Video()
	if err := hlscheck.CheckCodecs(host.Codec+",mp4a.40.2", attrs["RESOLUTION"], pl.Body, lookup); err == nil {
		t.Errorf("the host's own codec %s passes for the slate too: the test proves nothing", host.Codec)
	}
}

func streamInf(t *testing.T, body string) map[string]string {
	t.Helper()
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, "#EXT-X-STREAM-INF:"); ok {
			a, err := manifest.ParseAttributes(v)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
	}
	t.Fatalf("no EXT-X-STREAM-INF in\n%s", body)
	return nil
}
