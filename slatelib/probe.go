package slatelib

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Containers and codecs the converter takes. Anything else is refused
// before ffmpeg runs; ffprobe and ffmpeg only ever open these demuxers
// (-format_whitelist) over the local temp file (-protocol_whitelist file).
var (
	// demuxer -> the video codecs it may carry
	convertFormats = map[string][]string{
		"png_pipe":  {"png"},
		"jpeg_pipe": {"mjpeg"},
		"webp_pipe": {"webp"},
		"gif":       {"gif"},
		"mov":       {"h264", "hevc", "vp9", "av1", "mjpeg"}, // MP4, MOV, 3GP
		"matroska":  {"h264", "hevc", "vp9", "vp8", "av1"},   // WebM, MKV
	}
	convertAudio = map[string]bool{"aac": true, "mp3": true, "opus": true, "vorbis": true, "alac": true,
		"flac": true, "ac3": true, "eac3": true, "pcm_s16le": true, "pcm_s16be": true, "pcm_s24le": true, "pcm_f32le": true}
	stillFormats = map[string]bool{"png_pipe": true, "jpeg_pipe": true, "webp_pipe": true}
)

// formatWhitelist is the -format_whitelist of every ffprobe/ffmpeg run.
const formatWhitelist = "png_pipe,jpeg_pipe,webp_pipe,gif,mov,matroska"

// probed is what ffprobe says of an upload, checked against the lists.
type probed struct {
	Format        string  // demuxer
	VideoCodec    string  // ffprobe codec name
	AudioCodec    string  // "" without (usable) audio
	Width, Height int     // coded size (before any rotation)
	Duration      float64 // seconds; 0 when unknown (or a still)
	Still         bool    // a single picture (PNG, JPEG, WebP, one-frame GIF)
}

// Source names the probed upload for metadata ("h264/mov", "png").
func (p probed) Source() string {
	if stillFormats[p.Format] || p.Format == "gif" {
		return p.VideoCodec
	}
	return p.VideoCodec + "/" + p.Format
}

type ffprobeOut struct {
	Streams []struct {
		Index     int    `json:"index"`
		CodecType string `json:"codec_type"`
		CodecName string `json:"codec_name"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
		Packets   string `json:"nb_read_packets"`
		Duration  string `json:"duration"`
	} `json:"streams"`
	Format struct {
		Name     string `json:"format_name"`
		Duration string `json:"duration"`
	} `json:"format"`
}

// probe runs ffprobe (bounded like ffmpeg) over the upload at path.
func (c *converter) probe(ctx context.Context, path string) (probed, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ProbeTimeout)
	defer cancel()
	out, err := c.run(ctx, c.cfg.FFprobe, "-v", "error", "-hide_banner", "-format_whitelist", formatWhitelist,
		"-protocol_whitelist", "file", "-count_packets",
		"-show_entries", "format=format_name,duration:stream=index,codec_type,codec_name,width,height,nb_read_packets,duration",
		"-of", "json", "file:"+path)
	if ctx.Err() != nil {
		return probed{}, fmt.Errorf("reading the upload took longer than %s: %w", c.cfg.ProbeTimeout, ErrBadMedia)
	}
	if err != nil {
		why := strings.ReplaceAll(err.Error(), "file:"+path, "upload")
		return probed{}, fmt.Errorf("not an image or video the server can convert (PNG, JPEG, WebP, GIF, MP4/MOV/WebM): %s: %w",
			why, ErrBadMedia)
	}
	var fo ffprobeOut
	if err := json.Unmarshal(out, &fo); err != nil {
		return probed{}, fmt.Errorf("probe answer unreadable: %v: %w", err, ErrBadMedia)
	}
	return checkProbe(fo, c.lim)
}

// checkProbe applies the format, codec, size and duration lists.
func checkProbe(fo ffprobeOut, lim convertLimits) (probed, error) {
	p := probed{Format: strings.Split(fo.Format.Name, ",")[0]}
	codecs, ok := convertFormats[p.Format]
	if !ok {
		return p, fmt.Errorf("container %q: slates are made from PNG, JPEG, WebP, GIF, MP4/MOV or WebM: %w", p.Format, ErrBadMedia)
	}
	video, packets := -1, 0
	for i, s := range fo.Streams {
		switch s.CodecType {
		case "video":
			if video < 0 {
				video, packets = i, atoiOr(s.Packets, 0)
				p.VideoCodec, p.Width, p.Height = s.CodecName, s.Width, s.Height
				p.Duration = atofOr(s.Duration, 0)
			}
		case "audio":
			if p.AudioCodec == "" && convertAudio[s.CodecName] {
				p.AudioCodec = s.CodecName
			}
		}
	}
	if video < 0 {
		return p, fmt.Errorf("no video or picture in the upload (audio only?): %w", ErrBadMedia)
	}
	if !contains(codecs, p.VideoCodec) {
		return p, fmt.Errorf("video codec %q in %s: slates are converted from %s: %w", p.VideoCodec, p.Format,
			strings.Join(codecs, ", "), ErrBadMedia)
	}
	if p.Duration == 0 {
		p.Duration = atofOr(fo.Format.Duration, 0)
	}
	p.Still = stillFormats[p.Format] || packets == 1
	if p.Still {
		p.Duration = 0
	}
	return p, lim.check(p)
}

// convertLimits bound what the converter takes.
type convertLimits struct {
	maxSide, maxPixels           int // video
	maxImageSide, maxImagePixels int // still pictures
	minSide                      int
	maxDuration                  float64
}

func (lim convertLimits) check(p probed) error {
	side, pixels := lim.maxSide, lim.maxPixels
	if p.Still {
		side, pixels = lim.maxImageSide, lim.maxImagePixels
	}
	switch {
	case (p.Width == 0 || p.Height == 0) && p.Format == "webp_pipe":
		return fmt.Errorf("the WebP does not decode (an animated WebP? upload it as a GIF or a video): %w", ErrBadMedia)
	case p.Width == 0 || p.Height == 0:
		return fmt.Errorf("the picture does not decode (truncated or damaged file?): %w", ErrBadMedia)
	case p.Width < lim.minSide || p.Height < lim.minSide:
		return fmt.Errorf("picture %dx%d: at least %d pixels a side: %w", p.Width, p.Height, lim.minSide, ErrBadMedia)
	case p.Width > side || p.Height > side || p.Width*p.Height > pixels:
		return fmt.Errorf("picture %dx%d: at most %d pixels a side and %d pixels: %w", p.Width, p.Height, side, pixels, ErrBadMedia)
	case p.Duration > lim.maxDuration:
		return fmt.Errorf("video lasts %.1fs: at most %.0fs: %w", p.Duration, lim.maxDuration, ErrBadMedia)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

func atofOr(s string, def float64) float64 {
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 {
		return f
	}
	return def
}
