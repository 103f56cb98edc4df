package slatelib

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"hlsorigin/origin"
	"hlsorigin/slate"
	"hlsorigin/slate/topic"
)

// Slate statuses.
const (
	Approved = "approved"
	Rejected = "rejected"
	Pending  = "pending"
	// Processing: the upload is being converted into slate variants.
	Processing = "processing"
)

// Meta describes one slate of the library: a system preset (Owner
// empty; bundled or uploaded by an admin) or a host's own slate.
type Meta struct {
	ID          string    `json:"id"`
	Owner       string    `json:"owner,omitempty"` // channel id of a host slate
	Title       string    `json:"title"`
	Tags        []string  `json:"tags"`
	Description string    `json:"description"`
	Status      string    `json:"status"`
	Reason      string    `json:"reason,omitempty"`
	Bundled     bool      `json:"bundled,omitempty"`
	Width       int       `json:"width,omitempty"`
	Height      int       `json:"height,omitempty"`
	Codec       string    `json:"codec,omitempty"`
	Duration    float64   `json:"duration,omitempty"`
	Bytes       int       `json:"bytes,omitempty"`    // media bytes, all variants
	Variants    []string  `json:"variants,omitempty"` // resolutions ("1280x720"), largest first
	Source      string    `json:"source,omitempty"`   // what a converted upload was ("png", "hevc/mov")
	Audio       bool      `json:"audio,omitempty"`    // the slate's own audio track is stored
	CreatedAt   time.Time `json:"created_at"`
}

// UploadInfo is the metadata sent with an uploaded MP4.
type UploadInfo struct {
	Title       string
	Tags        []string
	Description string
}

// Config configures uploads, matching and moderation.
type Config struct {
	// MaxUploadBytes bounds an upload body. Default 8 MiB.
	MaxUploadBytes int
	// Limits bound the uploaded media (duration, size, resolution).
	Limits slate.Limits
	// MatchThreshold: a preset scoring at least this is "matched".
	// Default 0.15.
	MatchThreshold float64
	// MatchMin: below the threshold, the best preset is still used when it
	// scores at least this; under it the default slate is. Default 0.05.
	MatchMin float64
	// Blocklist terms (Chinese or English) refuse a host slate whose title,
	// tags or description hold one.
	Blocklist []string
	// ModerationURL, when set, is POSTed every host upload; it answers
	// {"allowed": bool, "reason": string}. Errors, timeouts and non-2xx
	// answers reject the slate (fail closed).
	ModerationURL string
	// ModerationTimeout bounds the webhook call. Default 5s.
	ModerationTimeout time.Duration
	// PublicURL is how the moderation service reaches this origin (for
	// the signed media URL), e.g. "http://127.0.0.1:8080".
	PublicURL string
	// MediaURLTTL is how long a signed media URL works. Default 5m.
	MediaURLTTL time.Duration
	// Convert configures the conversion of uploads not in slate form
	// (off when Convert.FFmpeg is "").
	Convert ConvertConfig
}

func (c Config) withDefaults() Config {
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = 8 << 20
	}
	if c.MatchThreshold == 0 {
		c.MatchThreshold = 0.15
	}
	if c.MatchMin == 0 {
		c.MatchMin = 0.05
	}
	if c.ModerationTimeout == 0 {
		c.ModerationTimeout = 5 * time.Second
	}
	if c.MediaURLTTL == 0 {
		c.MediaURLTTL = 5 * time.Minute
	}
	return c
}

// Validate names the first bad setting.
func (c Config) Validate() error {
	switch {
	case c.MaxUploadBytes < 1024:
		return fmt.Errorf("slate-max-bytes %d: at least 1024: %w", c.MaxUploadBytes, ErrInvalid)
	case c.MatchThreshold < 0 || c.MatchThreshold > 1:
		return fmt.Errorf("slate-match-threshold %.2f: 0..1: %w", c.MatchThreshold, ErrInvalid)
	case c.MatchMin < 0 || c.MatchMin > c.MatchThreshold:
		return fmt.Errorf("slate-match-min %.2f: 0..threshold: %w", c.MatchMin, ErrInvalid)
	case c.ModerationTimeout < 0:
		return fmt.Errorf("moderation-timeout %s: %w", c.ModerationTimeout, ErrInvalid)
	case c.ModerationURL != "" && !strings.HasPrefix(c.ModerationURL, "http://") && !strings.HasPrefix(c.ModerationURL, "https://"):
		return fmt.Errorf("moderation-url %q: http(s) URL: %w", c.ModerationURL, ErrInvalid)
	case c.Convert.FFmpeg != "" && (c.Convert.FFprobe == "" || c.Convert.Prlimit == ""):
		return fmt.Errorf("slate conversion needs ffprobe and prlimit beside ffmpeg: %w", ErrInvalid)
	}
	return nil
}

// HistoryEntry is one past live session or title change of a channel.
type HistoryEntry struct {
	At    time.Time `json:"at"`
	Kind  string    `json:"kind"` // "session" | "title"
	Title string    `json:"title"`
	Tags  []string  `json:"tags,omitempty"`
}

// historyKeep is how many history entries a channel keeps.
const historyKeep = 20

// chatForMatch is how many recent chat messages topic matching reads.
const chatForMatch = 50

// Library is the slate catalogue: bundled presets, admin presets and
// host slates, with their media, moderation, and topic matching.
type Library struct {
	o      *origin.Origin
	log    *slog.Logger
	now    func() time.Time
	client *http.Client
	ctx    context.Context // cancelled by Close: stops conversions
	cancel context.CancelFunc
	wg     sync.WaitGroup // conversions in flight

	mu       sync.RWMutex
	cfg      Config
	metas    map[string]*Meta
	defaults map[string]string   // channel -> default slate id
	tags     map[string][]string // channel -> topic tags
	history  map[string][]HistoryEntry
	model    *topic.Model
	secret   []byte
	conv     *converter // nil: conversion off
}

// New loads the library of an origin (bundled presets, then what the store
// holds) and installs it as the origin's slate picker and channel observer.
// Call it once per origin, before ingest starts.
func New(o *origin.Origin) (*Library, error) {
	cfg := o.Config()
	l := &Library{o: o, log: cfg.Logger, now: cfg.Now, client: &http.Client{}, cfg: Config{}.withDefaults(),
		metas: map[string]*Meta{}, defaults: map[string]string{}, tags: map[string][]string{},
		history: map[string][]HistoryEntry{}}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	if err := l.loadBundled(); err != nil {
		return nil, err
	}
	if err := l.loadStored(); err != nil {
		return nil, err
	}
	l.rebuildModel()
	o.SetSlatePicker(l.pick)
	o.SetChannelObserver(l)
	o.SetSlateCatalog(l)
	return l, nil
}

// Configure applies a configuration (uploads, matching, moderation).
func (l *Library) Configure(cfg Config) error {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if cfg.Convert.FFmpeg == "" {
		l.conv = nil
	} else if l.conv == nil || l.conv.cfg != cfg.Convert.withDefaults() {
		l.conv = newConverter(cfg.Convert, cfg.Limits)
	}
	l.cfg = cfg
	return nil
}

// Close stops the conversions in flight (their slates are rejected) and
// waits for them. Call before closing the origin.
func (l *Library) Close() {
	l.cancel()
	l.wg.Wait()
}

// SetPublicURL sets the base URL of signed media links (known once the
// server listens).
func (l *Library) SetPublicURL(u string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cfg.PublicURL = strings.TrimRight(u, "/")
}

// Config returns the effective configuration.
func (l *Library) Config() Config {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.cfg
}
