package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"hlsorigin/slate"
	"hlsorigin/slatelib"
)

// slateFlags configure the slate library (uploads, topic matching,
// moderation).
type slateFlags struct {
	MaxBytes          int
	MatchThreshold    float64
	MatchMin          float64
	Blocklist         string // file of terms
	ModerationURL     string
	ModerationTimeout time.Duration
	PublicURL         string
	Convert           string // ffmpeg binary, or "off"
	ConvertJobs       int
	ConvertQueue      int
	ConvertTimeout    time.Duration
	ConvertMemory     int64
}

func (f *slateFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.MaxBytes, "slate-max-bytes", 8<<20, "largest slate upload (bytes)")
	fs.Float64Var(&f.MatchThreshold, "slate-match-threshold", 0.15, "topic score (cosine, 0..1) from which a preset counts as matched")
	fs.Float64Var(&f.MatchMin, "slate-match-min", 0.05, "below the threshold, lowest score for which the best preset is still used (else the default slate)")
	fs.StringVar(&f.Blocklist, "slate-blocklist", "", "file of blocked terms (one per line, Chinese or English) for host slate titles, tags and descriptions")
	fs.StringVar(&f.ModerationURL, "moderation-url", "", "webhook POSTed every host slate upload; answers {allowed, reason} (fail closed)")
	fs.DurationVar(&f.ModerationTimeout, "moderation-timeout", 5*time.Second, "moderation webhook timeout (no answer in time: rejected)")
	fs.StringVar(&f.PublicURL, "public-url", "", "base URL the moderation service uses to fetch slate media (default: the listen address)")
	fs.StringVar(&f.Convert, "slate-convert", "ffmpeg", "ffmpeg binary that converts slate uploads not in slate form (pictures, phone videos, HEVC, VP9) at upload time, with ffprobe beside it and prlimit (util-linux); \"off\": only uploads in slate form are taken")
	fs.IntVar(&f.ConvertJobs, "slate-convert-jobs", 1, "slate conversions running at once (each ffmpeg uses one thread per encoder)")
	fs.IntVar(&f.ConvertQueue, "slate-convert-queue", 4, "slate conversions that may wait; more uploads are answered 429")
	fs.DurationVar(&f.ConvertTimeout, "slate-convert-timeout", 2*time.Minute, "longest slate conversion (then the slate is rejected)")
	fs.Int64Var(&f.ConvertMemory, "slate-convert-memory", 2<<30, "address-space limit (bytes) of each ffmpeg/ffprobe run")
}

func (f *slateFlags) validate() error {
	if f.MaxBytes < 1024 {
		return fmt.Errorf("-slate-max-bytes %d: at least 1024", f.MaxBytes)
	}
	if f.MatchThreshold <= 0 || f.MatchThreshold > 1 {
		return fmt.Errorf("-slate-match-threshold %g: want 0 < t <= 1", f.MatchThreshold)
	}
	if f.MatchMin <= 0 || f.MatchMin > f.MatchThreshold {
		return fmt.Errorf("-slate-match-min %g: want 0 < min <= threshold", f.MatchMin)
	}
	if f.ModerationTimeout <= 0 {
		return fmt.Errorf("-moderation-timeout %s: must be positive", f.ModerationTimeout)
	}
	if f.ModerationURL != "" && !strings.HasPrefix(f.ModerationURL, "http://") && !strings.HasPrefix(f.ModerationURL, "https://") {
		return fmt.Errorf("-moderation-url %q: an http(s) URL", f.ModerationURL)
	}
	switch {
	case f.Convert == "":
		return fmt.Errorf("-slate-convert: an ffmpeg binary, or \"off\"")
	case f.ConvertJobs < 1 || f.ConvertJobs > 64:
		return fmt.Errorf("-slate-convert-jobs %d: 1..64", f.ConvertJobs)
	case f.ConvertQueue < 0 || f.ConvertQueue > 1000:
		return fmt.Errorf("-slate-convert-queue %d: 0..1000", f.ConvertQueue)
	case f.ConvertTimeout < time.Second:
		return fmt.Errorf("-slate-convert-timeout %s: at least 1s", f.ConvertTimeout)
	case f.ConvertMemory < 256<<20:
		return fmt.Errorf("-slate-convert-memory %d: at least 256 MiB", f.ConvertMemory)
	}
	return nil
}

// convertConfig finds the conversion tools; when one is missing conversion
// is off (logged), not an error: uploads in slate form still work.
func (f *slateFlags) convertConfig(log *slog.Logger) slatelib.ConvertConfig {
	if f.Convert == "off" {
		return slatelib.ConvertConfig{}
	}
	cc, err := slatelib.FindConvertTools(slatelib.ConvertConfig{Jobs: f.ConvertJobs, Queue: max(f.ConvertQueue, 0),
		Timeout: f.ConvertTimeout, MemoryBytes: f.ConvertMemory}, f.Convert)
	if err != nil {
		log.Warn(err.Error() + ": only slate uploads already in slate form are taken")
		return slatelib.ConvertConfig{}
	}
	if f.ConvertQueue == 0 {
		cc.Queue = -1 // no waiting: only the running jobs
	}
	return cc
}

func (f *slateFlags) apply(lib *slatelib.Library, log *slog.Logger) error {
	cfg := slatelib.Config{MaxUploadBytes: f.MaxBytes, MatchThreshold: f.MatchThreshold, MatchMin: f.MatchMin,
		ModerationURL: f.ModerationURL, ModerationTimeout: f.ModerationTimeout, PublicURL: strings.TrimRight(f.PublicURL, "/"),
		Convert: f.convertConfig(log)}
	if f.Blocklist != "" {
		terms, err := slatelib.LoadBlocklist(f.Blocklist)
		if err != nil {
			return fmt.Errorf("-slate-blocklist: %w", err)
		}
		cfg.Blocklist = terms
	}
	return lib.Configure(cfg)
}

// errNoFFmpeg is returned by "slate make" when ffmpeg is not installed.
var errNoFFmpeg = errors.New("ffmpeg not found on PATH: slate make encodes with ffmpeg (apt-get install ffmpeg); the server itself never encodes")

// runSlate dispatches "hlsorigin slate <command>".
func runSlate(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "make" {
		return fmt.Errorf("usage: hlsorigin slate make -text TEXT [-image FILE] [-height 720] [-color 0x1b2a41] -out FILE.mp4")
	}
	return slateMake(ctx, args[1:], stdout)
}

// slateMake encodes a slate MP4 with ffmpeg in the bundled slates' shape:
// a still card (a colour or an image, with an optional caption), H.264
// main, 30 fps, one IDR then near-empty P-frames, no B-frames, 10 s in
// one fragment; then checks it passes the upload validation.
func slateMake(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("hlsorigin slate make", flag.ContinueOnError)
	fs.SetOutput(stdout)
	text := fs.String("text", "", "caption drawn in the middle (CJK text needs a CJK -font)")
	image := fs.String("image", "", "background image (PNG/JPEG), scaled to cover the frame")
	height := fs.Int("height", 720, "height in pixels (even, 144..2160); width is 16:9")
	color := fs.String("color", "0x1b2a41", "background colour when there is no image")
	font := fs.String("font", "", "TrueType font file for the caption (default: fontconfig's Sans)")
	seconds := fs.Int("seconds", 10, "length in seconds (2..60); the splicer loops it")
	out := fs.String("out", "", "output MP4 file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *out == "":
		return fmt.Errorf("slate make: -out FILE.mp4 is required")
	case *height < 144 || *height > 2160 || *height%2 != 0:
		return fmt.Errorf("slate make: -height %d: even, 144..2160", *height)
	case *seconds < 2 || *seconds > 60:
		return fmt.Errorf("slate make: -seconds %d: 2..60", *seconds)
	case *text == "" && *image == "":
		return fmt.Errorf("slate make: give -text, -image or both")
	case strings.ContainsAny(*color, "'\\:,;[]= "):
		return fmt.Errorf("slate make: -color %q: a colour name or 0xRRGGBB", *color)
	}
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		return errNoFFmpeg
	}
	if *image != "" {
		if _, err := os.Stat(*image); err != nil {
			return fmt.Errorf("slate make: -image: %w", err)
		}
	}
	h := *height
	w := (h*16/9 + 1) &^ 1
	ffargs := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y"}
	var vf []string
	if *image != "" {
		ffargs = append(ffargs, "-loop", "1", "-framerate", "30", "-t", fmt.Sprint(*seconds), "-i", *image)
		vf = append(vf, fmt.Sprintf("scale=%d:%d:force_original_aspect_ratio=increase,crop=%d:%d,setsar=1", w, h, w, h))
	} else {
		ffargs = append(ffargs, "-f", "lavfi", "-i", fmt.Sprintf("color=c=%s:s=%dx%d:r=30:d=%d", *color, w, h, *seconds))
	}
	if *text != "" {
		// The caption goes through a file: no filter-graph escaping of user text.
		dir, err := os.MkdirTemp("", "slate-make")
		if err != nil {
			return fmt.Errorf("slate make: %w", err)
		}
		defer os.RemoveAll(dir)
		tf := filepath.Join(dir, "caption.txt")
		if err := os.WriteFile(tf, []byte(*text), 0o600); err != nil {
			return fmt.Errorf("slate make: %w", err)
		}
		dt := fmt.Sprintf("drawtext=textfile='%s':expansion=none:fontcolor=white:fontsize=%d:borderw=%d:bordercolor=black@0.6:x=(w-text_w)/2:y=(h-text_h)/2",
			escapeDrawtext(tf), h/9, max(h/240, 1))
		if *font != "" {
			dt += ":fontfile='" + escapeDrawtext(*font) + "'"
		}
		vf = append(vf, dt)
	}
	vf = append(vf, "format=yuv420p")
	ffargs = append(ffargs, "-vf", strings.Join(vf, ","), "-an",
		"-c:v", "libx264", "-profile:v", "main", "-preset", "veryfast", "-crf", "30", "-r", "30",
		"-g", "600", "-keyint_min", "600", "-sc_threshold", "0", "-bf", "0",
		"-x264-params", "scenecut=0:open-gop=0", "-map_metadata", "-1",
		"-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "100000000",
		"-f", "mp4", *out)
	cmd := exec.CommandContext(ctx, ffmpeg, ffargs...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("slate make: ffmpeg: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	b, err := os.ReadFile(*out)
	if err != nil {
		return fmt.Errorf("slate make: %w", err)
	}
	p, err := slate.PrepareUpload(b, slate.Limits{})
	if err != nil {
		return fmt.Errorf("slate make: the encoded file does not pass the upload validation: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s: %dx%d %s, %.1fs, %d frames, %d bytes\n", filepath.Clean(*out), p.Width, p.Height,
		p.Codec, p.Duration, p.Frames, len(b))
	return nil
}

// escapeDrawtext escapes a file path for a single-quoted filter option.
func escapeDrawtext(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `'\\\''`, `:`, `\:`)
	return r.Replace(s)
}
