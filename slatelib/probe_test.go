package slatelib

import (
	"errors"
	"strings"
	"testing"

	"hlsorigin/slate"
)

type st = struct {
	Index     int    `json:"index"`
	CodecType string `json:"codec_type"`
	CodecName string `json:"codec_name"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
	Packets   string `json:"nb_read_packets"`
	Duration  string `json:"duration"`
}

func probeOut(format, duration string, streams ...st) ffprobeOut {
	var fo ffprobeOut
	fo.Format.Name, fo.Format.Duration, fo.Streams = format, duration, streams
	return fo
}

// TestCheckProbe: the lists of containers and codecs, stills, sizes and
// durations, as ffprobe reports them.
func TestCheckProbe(t *testing.T) {
	lim := newConverter(ConvertConfig{}, slate.Limits{}).lim
	v := func(codec string, w, h int, packets string) st {
		return st{CodecType: "video", CodecName: codec, Width: w, Height: h, Packets: packets}
	}
	aac := st{CodecType: "audio", CodecName: "aac"}
	for _, tc := range []struct {
		name   string
		fo     ffprobeOut
		says   string // "" = accepted
		still  bool
		audio  string
		source string
	}{
		{"png", probeOut("png_pipe", "", v("png", 4032, 3024, "1")), "", true, "", "png"},
		{"phone mp4", probeOut("mov,mp4,m4a,3gp,3g2,mj2", "12.5", v("h264", 1080, 1920, "375"), aac), "", false, "aac", "h264/mov"},
		{"webm", probeOut("matroska,webm", "3", v("vp9", 1280, 720, "90"), st{CodecType: "audio", CodecName: "opus"}), "", false, "opus", "vp9/matroska"},
		{"one-frame gif", probeOut("gif", "0.1", v("gif", 400, 300, "1")), "", true, "", "gif"},
		{"animated gif", probeOut("gif", "2", v("gif", 400, 300, "20")), "", false, "", "gif"},
		{"odd audio dropped", probeOut("mov", "3", v("hevc", 1920, 1080, "90"), st{CodecType: "audio", CodecName: "amr_nb"}), "", false, "", "hevc/mov"},
		{"hls", probeOut("hls", "", v("h264", 640, 360, "1")), `container "hls"`, false, "", ""},
		{"apng", probeOut("apng", "", v("apng", 64, 64, "3")), `container "apng"`, false, "", ""},
		{"png codec in mov", probeOut("mov", "2", v("png", 64, 64, "3")), `video codec "png" in mov`, false, "", ""},
		{"audio only", probeOut("mov", "2", aac), "no video", false, "", ""},
		{"too long", probeOut("mov", "61", v("h264", 640, 360, "1830")), "at most 60s", false, "", ""},
		{"8K video", probeOut("mov", "2", v("hevc", 7680, 4320, "60")), "at most 3840", false, "", ""},
		{"huge photo", probeOut("jpeg_pipe", "", v("mjpeg", 20000, 20000, "1")), "at most 16384", false, "", ""},
		{"tiny", probeOut("png_pipe", "", v("png", 8, 8, "1")), "at least 16", false, "", ""},
		{"animated webp", probeOut("webp_pipe", "", v("webp", 0, 0, "1")), "animated WebP", false, "", ""},
		{"undecodable", probeOut("png_pipe", "", v("png", 0, 0, "0")), "does not decode", false, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := checkProbe(tc.fo, lim)
			if tc.says != "" {
				if !errors.Is(err, ErrBadMedia) || !strings.Contains(err.Error(), tc.says) {
					t.Errorf("got %v, want bad media saying %q", err, tc.says)
				}
				return
			}
			if err != nil || p.Still != tc.still || p.AudioCodec != tc.audio || p.Source() != tc.source {
				t.Errorf("got %+v %v (source %q), want still=%v audio=%q source=%q", p, err, p.Source(), tc.still, tc.audio, tc.source)
			}
		})
	}
}

// TestLevelFor: the lowest H.264 level for each size at 30 fps (Table A-1).
func TestLevelFor(t *testing.T) {
	for s, want := range map[Size]int{{1920, 1080}: 40, {1280, 720}: 31, {854, 480}: 31, {640, 360}: 30,
		{426, 240}: 21, {320, 180}: 13, {256, 144}: 12, {3840, 2160}: 51} {
		if got := levelFor(s, 30).idc; got != want {
			t.Errorf("%s: level %d, want %d", s, got, want)
		}
	}
}
