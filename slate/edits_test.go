package slate

import (
	"bytes"
	"math"
	"reflect"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"

	"hlsorigin/fixtures"
)

// TestCombinedInitKeepsEditList: under the combined init the slate trak
// carries the host video's edit list (ffmpeg writes an empty edit, and a
// media time for B-frames), and slate frames carry that media time as
// their composition offset, so the slate presents at its decode time on
// the host's presentation timeline, as the host frames it replaces did.
func TestCombinedInitKeepsEditList(t *testing.T) {
	sl := loadSlate(t, 360)
	for _, c := range []struct {
		r         fixtures.Rendition
		name      string
		mediaTime int64
	}{{fixtures.Muxed(), "muxed", 0}, {fixtures.BFrames(), "bframes", 1024}} {
		hf := loadHost(t, c.r, c.name)
		b, err := CombinedInit(hf.init, 1, sl, true)
		if err != nil {
			t.Fatal(err)
		}
		f, err := mp4.DecodeFile(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		got, want := videoTrak(f.Init, 1), videoTrak(hf.init, 1)
		if got.Edts == nil || !reflect.DeepEqual(got.Edts.Elst[0].Entries, want.Edts.Elst[0].Entries) {
			t.Fatalf("%s: combined init edit list %+v, host %+v", c.name, got.Edts, want.Edts.Elst[0].Entries)
		}
		if _, isTkhd := got.Children[0].(*mp4.TkhdBox); !isTkhd {
			t.Errorf("%s: trak children out of order", c.name)
		}
		if _, isEdts := got.Children[1].(*mp4.EdtsBox); !isEdts {
			t.Errorf("%s: edts not after tkhd", c.name)
		}
		if mt := editMediaTime(got); int64(mt) != c.mediaTime {
			t.Errorf("%s: media time %d, want %d", c.name, mt, c.mediaTime)
		}
		parts, err := Splice(hf.segs[1], hf.init, sl, Cut{PauseAt: 2.5, ResumeAt: math.Inf(1)})
		if err != nil || len(parts) != 2 {
			t.Fatalf("%s: %v %d parts", c.name, err, len(parts))
		}
		for _, s := range samplesOf(t, f.Init, parts[1].Data)[1] {
			if int64(s.PresentationTime())-c.mediaTime != int64(s.DecodeTime) {
				t.Fatalf("%s: slate frame presents at %d, decodes at %d (media time %d)", c.name, s.PresentationTime(), s.DecodeTime, c.mediaTime)
			}
		}
	}
}

// TestCombinedInitEditListTimescale: the host's edit list media time is
// in its own video timescale (ffmpeg -video_track_timescale 90000); under
// the combined init it is converted to the slate's (15360).
func TestCombinedInitEditListTimescale(t *testing.T) {
	sl := loadSlate(t, 360)
	hf := loadHost(t, fixtures.BFrames(), "bframes")
	host, err := copyInit(hf.init)
	if err != nil {
		t.Fatal(err)
	}
	vt := videoTrak(host, 1)
	vt.Mdia.Mdhd.Timescale = 90000
	vt.Edts.Elst[0].Entries[1].MediaTime = 6000 // 1024/15360 s
	b, err := CombinedInit(host, 1, sl, true)
	if err != nil {
		t.Fatal(err)
	}
	f, err := mp4.DecodeFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if mt := editMediaTime(videoTrak(f.Init, 1)); mt != 1024 {
		t.Errorf("combined init media time %d, want 1024 (slate timescale)", mt)
	}
	if mt := editMediaTime(videoTrak(host, 1)); mt != 6000 {
		t.Errorf("the host init passed in was changed: media time %d", mt)
	}
}
