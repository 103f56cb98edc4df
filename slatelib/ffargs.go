package slatelib

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// Size is a slate variant's resolution.
type Size struct{ W, H int }

func (s Size) String() string { return fmt.Sprintf("%dx%d", s.W, s.H) }

// Ladder is the standard slate ladder (16:9): every upload is converted to
// each of these, plus the resolutions of the owner channel's renditions.
var Ladder = []Size{{1920, 1080}, {1280, 720}, {854, 480}, {640, 360}, {426, 240}, {256, 144}}

// slateFPS is the frame rate of converted slates (that of the bundled ones).
const slateFPS = 30

// h264Level is one row of H.264 Table A-1: max frame size and macroblock
// rate, max bit rate (Main, kbit/s).
type h264Level struct{ idc, maxFS, maxMBPS, maxKbps int }

var h264Levels = []h264Level{
	{10, 99, 1485, 64}, {11, 396, 3000, 192}, {12, 396, 6000, 384}, {13, 396, 11880, 768},
	{20, 396, 11880, 2000}, {21, 792, 19800, 4000}, {22, 1620, 20250, 4000}, {30, 1620, 40500, 10000},
	{31, 3600, 108000, 14000}, {32, 5120, 216000, 20000}, {40, 8192, 245760, 20000}, {42, 8704, 522240, 50000},
	{50, 22080, 589824, 135000}, {51, 36864, 983040, 240000},
}

// levelFor returns the lowest H.264 level that fits a resolution at fps.
func levelFor(s Size, fps int) h264Level {
	mbs := ((s.W + 15) / 16) * ((s.H + 15) / 16)
	for _, l := range h264Levels {
		if mbs <= l.maxFS && mbs*fps <= l.maxMBPS {
			return l
		}
	}
	return h264Levels[len(h264Levels)-1]
}

// variantSizes is the ladder plus extra (channel rendition) sizes, even
// sides only (4:2:0), largest first, without duplicates.
func variantSizes(extra []Size) []Size {
	seen := map[Size]bool{}
	var out []Size
	for _, s := range append(append([]Size{}, Ladder...), extra...) {
		if s.W < 16 || s.H < 16 || s.W%2 != 0 || s.H%2 != 0 || s.W > 3840 || s.H > 2160 || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].W*out[i].H > out[j].W*out[j].H })
	return out
}

// convertJob is one conversion: its input, outputs and encoding choices.
type convertJob struct {
	dir, in  string
	src      probed
	sizes    []Size
	profile  string  // x264 profile: "main" or "baseline"
	seconds  float64 // output length
	maxBytes int     // video bytes per variant
}

func (j convertJob) videoOut(i int) string { return filepath.Join(j.dir, fmt.Sprintf("v%d.mp4", i)) }
func (j convertJob) audioOut() string      { return filepath.Join(j.dir, "a.mp4") }

// args are ffmpeg's arguments: fixed, built from the probe and the
// library's settings only (no user text). One decode, a split per size;
// each branch fits the picture in the frame (letterboxed), one IDR then
// P-frames only (no B-frames), CRF bounded by a VBV rate that keeps the
// variant under its byte budget and the level's bit rate.
func (j convertJob) args() []string {
	a := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-threads", "1", "-filter_threads", "1",
		"-filter_complex_threads", "1", "-format_whitelist", formatWhitelist, "-protocol_whitelist", "file",
		"-f", j.src.Format, "-i", "file:" + j.in, "-filter_complex", j.filter()}
	fmtSecs := fmt.Sprintf("%.3f", j.seconds)
	budgetKbps := int(float64(j.maxBytes) * 8 * 0.8 / j.seconds / 1000)
	preset := "veryfast"
	if j.src.Still {
		preset = "ultrafast" // a still: near-empty P-frames whatever the preset
	}
	for i, s := range j.sizes {
		lv := levelFor(s, slateFPS)
		rate := max(min(lv.maxKbps, budgetKbps), 32)
		a = append(a, "-map", fmt.Sprintf("[o%d]", i), "-an", "-c:v", "libx264", "-profile:v", j.profile,
			"-level:v", fmt.Sprintf("%d.%d", lv.idc/10, lv.idc%10), "-preset", preset, "-crf", "28",
			"-maxrate", fmt.Sprintf("%dk", rate), "-bufsize", fmt.Sprintf("%dk", min(2*rate, lv.maxKbps)),
			"-threads", "1", "-g", "100000", "-keyint_min", "100000", "-sc_threshold", "0", "-bf", "0",
			"-x264-params", "scenecut=0:open-gop=0", "-t", fmtSecs, "-map_metadata", "-1",
			"-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "1000000000",
			"-f", "mp4", "file:"+j.videoOut(i))
	}
	if j.src.AudioCodec != "" {
		a = append(a, "-map", "0:a:0", "-vn", "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2",
			"-af", "apad", "-t", fmtSecs, "-map_metadata", "-1",
			"-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4", "file:"+j.audioOut())
	}
	return a
}

// filter is the filter graph: a still is scaled once per size and then
// repeated; a video is resampled to 30 fps and held on its last frame when
// shorter than the minimum.
func (j convertJob) filter() string {
	var b strings.Builder
	b.WriteString("[0:v:0]")
	if !j.src.Still {
		fmt.Fprintf(&b, "fps=%d,tpad=stop_mode=clone:stop_duration=%.3f,", slateFPS, j.seconds)
	}
	fmt.Fprintf(&b, "format=yuv420p,split=%d", len(j.sizes))
	for i := range j.sizes {
		fmt.Fprintf(&b, "[s%d]", i)
	}
	for i, s := range j.sizes {
		fmt.Fprintf(&b, ";[s%d]scale=%d:%d:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=%d:%d:(ow-iw)/2:(oh-ih)/2,setsar=1",
			i, s.W, s.H, s.W, s.H)
		if j.src.Still {
			fmt.Fprintf(&b, ",loop=loop=-1:size=1:start=0,fps=%d", slateFPS)
		}
		fmt.Fprintf(&b, "[o%d]", i)
	}
	return b.String()
}
