package segments

import (
	"errors"
	"testing"

	"hlsorigin/fixtures"
)

// Expected values were read once with
// ffprobe -show_entries stream=codec_name,codec_tag_string,profile,level,width,height,sample_rate,channels,time_base
// (h264 Main level 30 -> avc1.4d401e, Main 13 -> avc1.4d400d, High 30 -> avc1.64001e; aac LC -> mp4a.40.2)
// and match the CODECS of abr/master.m3u8 written by ffmpeg.
func TestParseInitFixtures(t *testing.T) {
	video := func(id uint32, codec string, w, h int) Track {
		return Track{ID: id, Kind: KindVideo, Timescale: 15360, Codec: codec, Width: w, Height: h}
	}
	audio := func(id uint32) Track {
		return Track{ID: id, Kind: KindAudio, Timescale: 48000, Codec: "mp4a.40.2", SampleRate: 48000, Channels: 2}
	}
	cases := []struct {
		name string
		want []Track
	}{
		{"muxed", []Track{video(1, "avc1.4d401e", 640, 360), audio(2)}},
		{"bframes", []Track{video(1, "avc1.64001e", 640, 360), audio(2)}},
		{"abr-audio", []Track{audio(1)}},
		{"abr-360p", []Track{video(1, "avc1.4d401e", 640, 360)}},
		{"abr-180p", []Track{video(1, "avc1.4d400d", 320, 180)}},
	}
	got := allFixtures(t)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkTracks(t, got[i].init, c.want)
		})
	}
}

func checkTracks(t *testing.T, in *Init, want []Track) {
	t.Helper()
	if len(in.Tracks) != len(want) {
		t.Fatalf("%d tracks, want %d", len(in.Tracks), len(want))
	}
	for i, w := range want {
		g := in.Tracks[i]
		g.trex = nil // ffmpeg writes trex defaults 0 (they live in tfhd)
		if g != w {
			t.Errorf("track %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestInitAccessors(t *testing.T) {
	in := loadFixture(t, "muxed", fixtures.Muxed()).init
	if v, ok := in.Video(); !ok || v.ID != 1 {
		t.Errorf("Video() = %+v, %v; want track 1", v, ok)
	}
	if a, ok := in.Audio(); !ok || a.ID != 2 {
		t.Errorf("Audio() = %+v, %v; want track 2", a, ok)
	}
	if _, ok := in.Track(3); ok {
		t.Error("Track(3) found in a two-track init")
	}
	audioOnly := loadFixture(t, "abr-audio", fixtures.ABR()[0]).init
	if _, ok := audioOnly.Video(); ok {
		t.Error("audio-only init has a video track")
	}
}

func TestParseInitCopiesInput(t *testing.T) {
	b := fixtures.Muxed().Init
	in, err := ParseInit(b)
	if err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if in.Raw[0] == b[0] {
		t.Error("Init.Raw aliases the input")
	}
}

func TestParseInitErrors(t *testing.T) {
	init := fixtures.Muxed().Init
	cases := []struct {
		desc string
		b    []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"garbage", []byte("this is not an mp4 file at all, sorry"), ErrMalformed},
		{"truncated", init[:len(init)-10], ErrMalformed},
		{"ftyp only", init[:ftypEnd(t, init)], ErrMalformed},
		{"media segment", fixtures.Muxed().Segments[0], ErrMalformed},
		{"second video track", twoVideoTracks(t), ErrUnsupported},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			if _, err := ParseInit(c.b); !errors.Is(err, c.want) {
				t.Errorf("ParseInit error = %v, want %v", err, c.want)
			}
		})
	}
}

func ftypEnd(t *testing.T, b []byte) int {
	t.Helper()
	top, err := walkBoxes(b, 0, len(b))
	if err != nil || top[0].typ != "ftyp" {
		t.Fatalf("init does not start with ftyp: %v", err)
	}
	return top[0].end
}

// twoVideoTracks re-encodes the muxed init with its audio trak replaced by a
// copy of the video trak (new track ID).
func twoVideoTracks(t *testing.T) []byte {
	t.Helper()
	in, err := ParseInit(fixtures.Muxed().Init)
	if err != nil {
		t.Fatal(err)
	}
	moov := in.MP4.Moov
	clone, err := ParseInit(fixtures.Muxed().Init) // a second, independent video trak
	if err != nil {
		t.Fatal(err)
	}
	v := clone.MP4.Moov.Traks[0]
	v.Tkhd.TrackID = 2
	moov.Traks[1] = v
	for i, c := range moov.Children {
		if c.Type() == "trak" && c != moov.Traks[0] {
			moov.Children[i] = v
		}
	}
	return encodeInit(t, in)
}
