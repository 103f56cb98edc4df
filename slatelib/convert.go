package slatelib

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"hlsorigin/slate"
)

// ConvertConfig configures the conversion of uploads that are not yet in
// slate form (pictures, phone videos, HEVC, VP9, ...) into slate variants.
// ffmpeg runs as a subprocess at upload time only, never on the live path.
type ConvertConfig struct {
	// FFmpeg and FFprobe are the tools' paths; FFmpeg "" turns conversion
	// off (only uploads already in slate form are taken).
	FFmpeg, FFprobe string
	// Prlimit runs each tool under resource limits (util-linux prlimit).
	// Required: without it conversion is off.
	Prlimit string
	// Jobs is how many conversions run at once. Default 1.
	Jobs int
	// Queue is how many more may wait; beyond, uploads are refused (429).
	// Default 4; negative: none.
	Queue int
	// Timeout bounds one conversion (wall clock). Default 2m.
	Timeout time.Duration
	// ProbeTimeout bounds the ffprobe run that checks an upload. Default 15s.
	ProbeTimeout time.Duration
	// MemoryBytes is the address-space limit of each tool run. Default 2 GiB.
	MemoryBytes int64
	// StillSeconds is the length of a slate made from a picture. Default 10.
	StillSeconds int
	// TempDir holds the uploads while they convert. Default os.TempDir().
	TempDir string
}

func (c ConvertConfig) withDefaults() ConvertConfig {
	if c.Jobs <= 0 {
		c.Jobs = 1
	}
	if c.Queue == 0 {
		c.Queue = 4
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Minute
	}
	if c.ProbeTimeout <= 0 {
		c.ProbeTimeout = 15 * time.Second
	}
	if c.MemoryBytes <= 0 {
		c.MemoryBytes = 2 << 30
	}
	if c.StillSeconds <= 0 {
		c.StillSeconds = 10
	}
	return c
}

// FindConvertTools fills in ffmpeg, ffprobe and prlimit from PATH; it
// returns cfg with FFmpeg "" (conversion off) and the reason when one is
// missing.
func FindConvertTools(cfg ConvertConfig, ffmpeg string) (ConvertConfig, error) {
	var err error
	if cfg.FFmpeg, err = exec.LookPath(ffmpeg); err != nil {
		return ConvertConfig{}, fmt.Errorf("slate conversion off: %s not found", ffmpeg)
	}
	probe := strings.TrimSuffix(cfg.FFmpeg, "ffmpeg") + "ffprobe"
	if cfg.FFprobe, err = exec.LookPath(probe); err != nil {
		if cfg.FFprobe, err = exec.LookPath("ffprobe"); err != nil {
			return ConvertConfig{}, fmt.Errorf("slate conversion off: ffprobe not found")
		}
	}
	if cfg.Prlimit, err = exec.LookPath("prlimit"); err != nil {
		return ConvertConfig{}, fmt.Errorf("slate conversion off: prlimit (util-linux) not found")
	}
	return cfg, nil
}

// converter runs bounded conversions.
type converter struct {
	cfg   ConvertConfig
	fsize int // largest file a tool may write
	lim   convertLimits
	slots chan struct{} // running conversions
	queue chan struct{} // admitted (running or waiting)
}

func newConverter(cfg ConvertConfig, lim slate.Limits) *converter {
	cfg, lim = cfg.withDefaults(), lim.WithDefaults()
	return &converter{cfg: cfg, fsize: 2*lim.MaxVideoBytes + 4<<20, slots: make(chan struct{}, cfg.Jobs), queue: make(chan struct{}, cfg.Jobs+max(cfg.Queue, 0)),
		lim: convertLimits{maxSide: max(lim.MaxWidth, lim.MaxHeight, 3840), maxPixels: 3840 * 2160,
			maxImageSide: 16384, maxImagePixels: 64 << 20, minSide: max(lim.MinSide, 16), maxDuration: lim.MaxDuration}}
}

// admit reserves a place for one conversion, or refuses when full.
func (c *converter) admit() error {
	select {
	case c.queue <- struct{}{}:
		return nil
	default:
		return fmt.Errorf("%d slate conversions already running or waiting: retry later: %w", cap(c.queue), ErrRateLimited)
	}
}

func (c *converter) release() { <-c.queue }

// run starts tool under prlimit (address space, file size, CPU seconds)
// and returns its stdout; stderr's last line is in the error.
func (c *converter) run(ctx context.Context, tool string, args ...string) ([]byte, error) {
	// CPU seconds: a backstop behind the wall-clock timeout, for up to 8
	// threads (one per encoder) busy the whole time.
	secs := 8*int(c.cfg.Timeout.Seconds()) + 1
	full := append([]string{"--as=" + strconv.FormatInt(c.cfg.MemoryBytes, 10),
		"--fsize=" + strconv.Itoa(c.fsize), "--cpu=" + strconv.Itoa(secs), "--core=0", "--", tool}, args...)
	cmd := exec.CommandContext(ctx, c.cfg.Prlimit, full...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &limitWriter{w: &stdout, n: 1 << 20}, &limitWriter{w: &stderr, n: 64 << 10}
	err := cmd.Run()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, lastLine(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// limitWriter keeps at most n bytes.
type limitWriter struct {
	w *bytes.Buffer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if room := l.n - l.w.Len(); room > 0 {
		l.w.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	if r := []rune(l); len(r) > 200 {
		l = string(r[:200])
	}
	return l
}

// converted is a conversion's output: variants in slate form (largest
// first) and the slate's own audio (fragmented AAC, nil without).
type converted struct {
	variants []*slate.Prepared
	audio    []byte
}

// convert runs ffmpeg for j (waiting for a slot) and checks each output
// as an upload in slate form.
func (c *converter) convert(ctx context.Context, j convertJob, lim slate.Limits) (*converted, error) {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("conversion cancelled: %w", ctx.Err())
	}
	defer func() { <-c.slots }()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	if _, err := c.run(ctx, c.cfg.FFmpeg, j.args()...); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("conversion took longer than %s", c.cfg.Timeout)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("conversion cancelled (server stopping)")
		}
		return nil, fmt.Errorf("conversion failed (the file does not decode): %s", strings.ReplaceAll(err.Error(), j.dir, ""))
	}
	out := &converted{}
	for i, s := range j.sizes {
		b, err := os.ReadFile(j.videoOut(i))
		if err != nil {
			return nil, fmt.Errorf("conversion wrote no %s variant", s)
		}
		p, err := slate.PrepareUpload(b, lim)
		if err != nil {
			return nil, fmt.Errorf("converted %s variant refused: %v", s, err)
		}
		if p.Width != s.W || p.Height != s.H {
			return nil, fmt.Errorf("converted variant is %dx%d, want %s", p.Width, p.Height, s)
		}
		out.variants = append(out.variants, p)
	}
	if j.src.AudioCodec != "" {
		b, err := os.ReadFile(j.audioOut())
		if err != nil {
			return nil, fmt.Errorf("conversion wrote no audio")
		}
		if _, err := slate.CheckAudio(b); err != nil {
			return nil, fmt.Errorf("converted audio refused: %v", err)
		}
		out.audio = b
	}
	return out, nil
}
