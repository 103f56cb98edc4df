package origin

import (
	"fmt"
	"log/slog"
	"time"
)

// Config holds the origin's settings. Zero values mean the stated defaults.
type Config struct {
	// DataDir is where the store lives. Default "./data".
	DataDir string
	// NoSlateSizes turns off making slate variants at the resolutions the
	// video renditions use (ffmpeg, off the live path; see slateSizer).
	// Default false: a slate never changes a variant's resolution.
	NoSlateSizes bool
	// Retention is how long segments stay in the archive. Default 24h.
	Retention time.Duration
	// TargetDuration fixes EXT-X-TARGETDURATION (seconds) for every
	// rendition. Default 0: derived from the first segment of a rendition
	// as ceil(1.5 x its duration), at least 2.
	TargetDuration int
	// WindowFactor sizes the live window: at least WindowFactor x target
	// duration seconds of media (RFC 8216 6.2.2 asks for >= 3). Default 4.
	WindowFactor float64
	// MinWindowSegments is the minimum number of segments in a full
	// window. Default 4.
	MinWindowSegments int
	// IdleAfter marks a channel idle when no segment arrived for this long.
	// Default 10s.
	IdleAfter time.Duration
	// HotSegments is how many recent segments per rendition are kept in
	// memory for serving. Default 16.
	HotSegments int
	// HotBytes bounds the memory of those segments across all renditions,
	// the oldest out first (see hotSet). Default 1 GiB; negative: no bound.
	HotBytes int64
	// SegmentCacheBytes bounds the memory kept for archive segments read
	// back from the store (players behind the live edge, replays, CDN
	// refills), least recently used out first. Default 256 MiB; negative
	// disables it.
	SegmentCacheBytes int64
	// MaxSegmentBytes bounds one ingest body. Default 32 MiB.
	MaxSegmentBytes int
	// MinFreeBytes is the free space the data directory's filesystem must
	// keep: media writes fail with ErrDiskFull (HTTP 507) below it, while
	// playlists and stored segments are still served. Default 512 MiB;
	// negative disables the check.
	MinFreeBytes int64
	// ResumeMargin delays the return of host video after a resume, to
	// cover encoder pipeline latency the origin cannot observe. Default
	// DefaultResumeMargin; negative means none.
	ResumeMargin time.Duration
	// PublishDelay lists a segment in the live playlist (and serves it)
	// this long after it arrived, so that a pause back-dated within it
	// hides everything from its "at" before anyone saw it. Channels may
	// override it. Default 0: listed on arrival.
	PublishDelay time.Duration
	// InputLossAfter: when no host segment arrived for this long after the
	// next one was due, the input is lost and the origin generates
	// segments (the reconnecting slate, or the pause's) on its own
	// cadence. Default 0: 1.5 x the target duration.
	InputLossAfter time.Duration
	// EndAfter ends the session (EXT-X-ENDLIST) after this long without
	// host media. Default 10m; negative: never.
	EndAfter time.Duration
	// ClockInterval is how often the output clock runs (input loss,
	// generated segments, session end). Default 250ms; negative: never on
	// its own (tests call Tick).
	ClockInterval time.Duration
	// EncoderClock trusts the encoder's EXT-X-PROGRAM-DATE-TIME and prft
	// as the capture time of its frames: the cut then uses them without
	// margins (see enctime.go). Default false: ffmpeg's program date time
	// is its muxer's start time plus media time, which runs ahead of
	// capture by the encoder's latency (measured 0.19 s with x264
	// zerolatency, 1.6 s with its defaults), so a resume mapped through it
	// can show that much video captured inside the pause.
	EncoderClock bool
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	if c.Retention == 0 {
		c.Retention = 24 * time.Hour
	}
	if c.WindowFactor == 0 {
		c.WindowFactor = 4
	}
	if c.MinWindowSegments == 0 {
		c.MinWindowSegments = 4
	}
	if c.IdleAfter == 0 {
		c.IdleAfter = 10 * time.Second
	}
	if c.HotSegments == 0 {
		c.HotSegments = 16
	}
	if c.HotBytes == 0 {
		c.HotBytes = 1 << 30
	}
	if c.SegmentCacheBytes == 0 {
		c.SegmentCacheBytes = 256 << 20
	}
	if c.MaxSegmentBytes == 0 {
		c.MaxSegmentBytes = 32 << 20
	}
	if c.ResumeMargin == 0 {
		c.ResumeMargin = DefaultResumeMargin
	} else if c.ResumeMargin < 0 {
		c.ResumeMargin = 0
	}
	if c.EndAfter == 0 {
		c.EndAfter = 10 * time.Minute
	}
	if c.ClockInterval == 0 {
		c.ClockInterval = 250 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate names the first bad setting.
func (c Config) Validate() error {
	switch {
	case c.Retention < time.Minute:
		return fmt.Errorf("retention %s: must be at least 1m: %w", c.Retention, ErrInvalid)
	case c.TargetDuration < 0 || c.TargetDuration > 60:
		return fmt.Errorf("target-duration %d: must be 0 (auto) to 60: %w", c.TargetDuration, ErrInvalid)
	case c.WindowFactor < 3:
		return fmt.Errorf("window-factor %.1f: RFC 8216 needs at least 3: %w", c.WindowFactor, ErrInvalid)
	case c.PublishDelay < 0 || c.PublishDelay > MaxPublishDelay || c.PublishDelay >= c.Retention:
		return fmt.Errorf("publish-delay %s: 0 to %s, shorter than the retention: %w", c.PublishDelay, MaxPublishDelay, ErrInvalid)
	case c.InputLossAfter < 0:
		return fmt.Errorf("input-loss-after %s: must not be negative: %w", c.InputLossAfter, ErrInvalid)
	case c.MinWindowSegments < 3:
		return fmt.Errorf("min-window-segments %d: must be at least 3: %w", c.MinWindowSegments, ErrInvalid)
	}
	return nil
}
