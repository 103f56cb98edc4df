package origin

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"

	"hlsorigin/fixtures"
	"hlsorigin/manifest/hlscheck"
	"hlsorigin/slate"
)

// loopSegments repeats a fixture rendition's segments n times in all,
// each pass re-stamped to follow the previous one (tfdt only: video keeps
// its 2 s, audio its own clock).
func loopSegments(t *testing.T, r fixtures.Rendition, n int) [][]byte {
	t.Helper()
	init, err := mp4.DecodeFile(bytes.NewReader(r.Init))
	if err != nil {
		t.Fatal(err)
	}
	var passDur uint64
	for _, seg := range r.Segments {
		for _, s := range fullSamples(t, init.Init, seg) {
			passDur += uint64(s.Dur)
		}
	}
	out := make([][]byte, n)
	for k := range out {
		f, err := mp4.DecodeFile(bytes.NewReader(r.Segments[k%len(r.Segments)]))
		if err != nil {
			t.Fatal(err)
		}
		for _, fr := range f.Segments[0].Fragments {
			for _, traf := range fr.Moof.Trafs {
				traf.Tfdt.SetBaseMediaDecodeTime(traf.Tfdt.BaseMediaDecodeTime() + uint64(k/len(r.Segments))*passDur)
				traf.Tfdt.Version = 1
			}
		}
		var b bytes.Buffer
		if err := f.Encode(&b); err != nil {
			t.Fatal(err)
		}
		out[k] = b.Bytes()
	}
	return out
}

// abrPublisher sends the ABR fixture (demuxed audio) as ffmpeg does, looped.
type abrPublisher struct {
	t    *testing.T
	ch   *Channel
	c    *clock
	rs   []fixtures.Rendition
	segs [][][]byte
	sent int
	// order of the renditions in each step: audio last (its segments end a
	// few ms after the video's, as ffmpeg sends them), or first.
	order []int
}

func newABRPublisher(t *testing.T, ch *Channel, c *clock, n int) *abrPublisher {
	p := &abrPublisher{t: t, ch: ch, c: c, rs: fixtures.ABR(), order: []int{1, 2, 0}}
	for _, r := range p.rs {
		p.segs = append(p.segs, loopSegments(t, r, n))
		ingestOK(t, ch, r.InitName, r.Init)
	}
	return p
}

// step sends the next segment of every rendition after advance.
func (p *abrPublisher) step(advance time.Duration) {
	p.t.Helper()
	p.c.Advance(advance)
	k := p.sent
	for _, i := range p.order {
		r := p.rs[i]
		name := fmt.Sprintf("stream_%d_%d.m4s", i, k)
		ingestOK(p.t, p.ch, name, p.segs[i][k])
		pl := "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-MAP:URI=\"" + r.InitName + "\"\n"
		for j := 0; j <= k; j++ {
			pl += fmt.Sprintf("#EXTINF:2.000000,\nstream_%d_%d.m4s\n", i, j)
		}
		ingestOK(p.t, p.ch, r.PlaylistName, []byte(pl))
	}
	p.sent++
}

// TestDemuxedAudioFollowsPause: on an ABR ladder with a demuxed audio
// rendition, a pause (live and muted) puts the same discontinuities, at the
// same instants with the same numbering, and the same target duration in
// every media playlist (hlscheck.CheckVariant); muted, every audio frame of
// the audio rendition inside the pause is silence and the others are the
// host's; the audio stored lasts as long as the audio sent. Also when the
// audio segments arrive before the video ones.
func TestDemuxedAudioFollowsPause(t *testing.T) {
	for _, tc := range []struct {
		mode       string
		audioFirst bool
	}{{"live", false}, {"mute", false}, {"mute", true}} {
		mode := tc.mode
		name := mode
		if tc.audioFirst {
			name += "-audio-first"
		}
		t.Run(name, func(t *testing.T) {
			c := newClock()
			o := openTest(t, t.TempDir(), c)
			defer o.Close()
			ch := newTestChannel(t, o, "d")
			const n = 9
			pub := newABRPublisher(t, ch, c, n)
			if tc.audioFirst {
				pub.order = []int{0, 1, 2}
			}
			pub.step(2 * time.Second)
			pub.step(2 * time.Second)
			c.Advance(1200 * time.Millisecond) // the cut lands inside segment 2
			if _, err := ch.Pause(PauseRequest{Audio: mode}); err != nil {
				t.Fatal(err)
			}
			pub.step(800 * time.Millisecond)
			pub.step(2 * time.Second)
			pub.step(2 * time.Second)
			c.Advance(500 * time.Millisecond)
			if _, err := ch.Resume(nil); err != nil {
				t.Fatal(err)
			}
			checkAligned(t, ch, 3)
			pub.step(1500 * time.Millisecond)
			for pub.sent < n {
				pub.step(2 * time.Second)
			}
			checkAligned(t, ch, 3)
			checkDiscontinuities(t, ch, 2)
			checkMutedAudio(t, ch, pub, mode == "mute")
		})
	}
}

// checkAligned runs hlscheck.CheckMedia and CheckVariant over the
// channel's live media playlists.
func checkAligned(t *testing.T, ch *Channel, rends int) {
	t.Helper()
	pls := map[string][]byte{}
	for _, r := range ch.Renditions() {
		pl, err := r.Playlist()
		if err != nil {
			t.Fatal(err)
		}
		if err := hlscheck.CheckMedia(pl.Body); err != nil {
			t.Fatalf("%s: %v\n%s", r.Name(), err, pl.Body)
		}
		pls[r.Name()] = pl.Body
	}
	if len(pls) != rends {
		t.Fatalf("%d renditions, want %d", len(pls), rends)
	}
	if err := hlscheck.CheckVariant(pls, 60*time.Millisecond); err != nil {
		for n, b := range pls {
			t.Logf("%s:\n%s", n, b)
		}
		t.Fatal(err)
	}
}

// checkDiscontinuities compares the whole stored timelines: every
// rendition has want discontinuities, with the same numbers, starting
// within 60 ms of each other (a video frame and an audio frame).
func checkDiscontinuities(t *testing.T, ch *Channel, want int) {
	t.Helper()
	var ref []SegmentInfo
	for _, r := range ch.Renditions() {
		var discs []SegmentInfo
		for _, s := range r.Segments() {
			if s.Disc {
				discs = append(discs, s)
			}
		}
		if len(discs) != want {
			t.Fatalf("%s: %d discontinuities, want %d", r.Name(), len(discs), want)
		}
		if ref == nil {
			ref = discs
		}
		for i, d := range discs {
			t.Logf("%s: disc %d at %s", r.Name(), d.DiscNum, d.PDT.Format("15:04:05.000"))
			if dt := d.PDT.Sub(ref[i].PDT); d.DiscNum != ref[i].DiscNum || dt < -60*time.Millisecond || dt > 60*time.Millisecond {
				t.Errorf("%s: discontinuity %d at %s, another rendition's %d at %s", r.Name(), d.DiscNum,
					d.PDT.Format("15:04:05.000"), ref[i].DiscNum, ref[i].PDT.Format("15:04:05.000"))
			}
		}
	}
}

// checkMutedAudio compares the audio rendition's stored frames with the
// frames sent: all there, in order, with their timing; silent inside the
// pause when muted, the host's everywhere else.
func checkMutedAudio(t *testing.T, ch *Channel, pub *abrPublisher, muted bool) {
	t.Helper()
	r, err := ch.Rendition("stream_0")
	if err != nil {
		t.Fatal(err)
	}
	in := r.inits[r.rec.InitVer].MP4
	sil, err := o2silence(ch)
	if err != nil {
		t.Fatal(err)
	}
	var sent []mp4.FullSample
	for _, seg := range pub.segs[0][:pub.sent] {
		sent = append(sent, fullSamples(t, in, seg)...)
	}
	var got []mp4.FullSample
	silent, paused := 0, 0
	for _, si := range r.Segments() {
		data, _, err := r.Segment(si.Seq)
		if err != nil {
			t.Fatal(err)
		}
		ss := fullSamples(t, in, data)
		for _, s := range ss {
			isSilent := bytes.Equal(s.Data, sil)
			if isSilent {
				silent++
			}
			if si.Kind == "slate" {
				paused++
				if muted && !isSilent {
					t.Fatalf("muted: paused audio segment %d holds host audio at %d", si.Seq, s.DecodeTime)
				}
			}
		}
		got = append(got, ss...)
	}
	if len(got) != len(sent) {
		t.Fatalf("%d audio frames stored, %d sent", len(got), len(sent))
	}
	for i := range got {
		if got[i].DecodeTime != sent[i].DecodeTime || got[i].Dur != sent[i].Dur {
			t.Fatalf("audio frame %d moved", i)
		}
		if !bytes.Equal(got[i].Data, sent[i].Data) && !(muted && bytes.Equal(got[i].Data, sil)) {
			t.Fatalf("audio frame %d changed", i)
		}
	}
	if paused < 150 || (muted && silent < paused) || (!muted && silent != 0) {
		t.Errorf("%d audio frames in paused segments, %d silent (muted %v)", paused, silent, muted)
	}
	t.Logf("%d audio frames, %d inside the pause, %d silent", len(got), paused, silent)
}

func o2silence(ch *Channel) ([]byte, error) { return ch.o.silence(48000, 2) }

func fullSamples(t *testing.T, in *mp4.InitSegment, seg []byte) []mp4.FullSample {
	t.Helper()
	f, err := mp4.DecodeFile(bytes.NewReader(seg))
	if err != nil {
		t.Fatal(err)
	}
	var out []mp4.FullSample
	for _, s := range f.Segments {
		for _, fr := range s.Fragments {
			ss, err := fr.GetFullSamples(in.Moov.Mvex.Trex)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, ss...)
		}
	}
	return out
}

var _ = slate.PartLive
