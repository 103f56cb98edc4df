package origin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"hlsorigin/origin/store"
)

// Origin is the set of channels over one store.
type Origin struct {
	cfg   Config
	store *store.Store
	log   *slog.Logger
	hooks Hooks

	mu       sync.RWMutex
	channels map[string]*Channel

	segs *segCache // archive segments read back from the store
	hot  *hotSet   // newest segments of every rendition

	slates  *slateSet
	picker  SlatePicker
	obs     ChannelObserver
	catalog SlateCatalog

	pauseObs PauseObserver // the audience (pauseobserver.go)

	stopClock func() // stops the output clock and waits for it (see clock.go)

	// beforeSegmentWrite, when set (tests), runs where Rendition.store
	// writes a segment's bytes, with the channel's mu released.
	beforeSegmentWrite func()
}

// SetHooks installs ingest observers (metrics). Call before ingest starts.
func (o *Origin) SetHooks(h Hooks) { o.hooks = h }

// SetSlatePicker installs the slate selection policy used on pause.
func (o *Origin) SetSlatePicker(f SlatePicker) { o.picker = f }

// Hooks lets the API observe ingest outcomes (metrics) without the origin
// importing any HTTP or metrics package. Every field may be nil.
type Hooks struct {
	SegmentStored  func(channel, rendition string, bytes int, dur float64)
	SegmentDropped func(channel, name string, err error)
	// SegmentGenerated: the output clock appended a segment (input lost).
	SegmentGenerated func(channel, rendition string)
	// ClockEvent: input_lost, input_restored, ended or started.
	ClockEvent func(channel, event string)
}

// Open opens (or creates) the store in cfg.DataDir and loads every channel.
func Open(cfg Config, hooks Hooks) (*Origin, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	st, err := store.Open(store.Options{Dir: cfg.DataDir, Retention: cfg.Retention, MinFreeBytes: cfg.MinFreeBytes,
		Logger: cfg.Logger, Now: cfg.Now})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", cfg.DataDir, err)
	}
	o := &Origin{cfg: cfg, store: st, log: cfg.Logger, hooks: hooks, channels: map[string]*Channel{},
		segs: newSegCache(cfg.SegmentCacheBytes), hot: &hotSet{max: cfg.HotBytes}}
	if o.slates, err = loadDefaultSlates(); err != nil {
		st.Close()
		return nil, fmt.Errorf("default slate: %w", err)
	}
	if !cfg.NoSlateSizes {
		o.slates.sizer.init(cfg.Logger)
	}
	if err := o.slates.addReconnecting(); err != nil {
		st.Close()
		return nil, err
	}
	if err := o.load(); err != nil {
		st.Close()
		return nil, fmt.Errorf("load channels: %w", err)
	}
	if err := o.reconcileAll(); err != nil {
		// Fail closed all the same: blocked segments stay unlisted and
		// withdrawn ones unreachable; the maintenance loop retries.
		o.log.Error("reconcile pauses", "err", err)
	}
	o.stopClock = func() {}
	if cfg.ClockInterval > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go o.runClock(ctx, done)
		o.stopClock = func() { cancel(); <-done }
	}
	return o, nil
}

// Close stops the pause observer (the open polls' writers), then syncs
// and closes the store.
func (o *Origin) Close() error {
	o.stopClock()
	if o.pauseObs != nil {
		o.pauseObs.Close()
	}
	for _, id := range o.Channels() {
		if ch, err := o.Channel(id); err == nil {
			ch.stopDue()
		}
	}
	o.slates.stopSizing()
	return o.store.Close()
}

// Sync forces everything written so far to disk.
func (o *Origin) Sync() error { return o.store.Sync() }

// Config returns the effective configuration.
func (o *Origin) Config() Config { return o.cfg }

// Store exposes the store to sibling packages of the origin (replay, slates).
func (o *Origin) Store() *store.Store { return o.store }

// Channel returns a channel by id.
func (o *Origin) Channel(id string) (*Channel, error) {
	o.mu.RLock()
	ch := o.channels[id]
	o.mu.RUnlock()
	if ch == nil {
		return nil, fmt.Errorf("channel %q: %w", id, ErrNotFound)
	}
	return ch, nil
}

// Channels lists channel ids in order.
func (o *Origin) Channels() []string {
	o.mu.RLock()
	defer o.mu.RUnlock()
	ids := make([]string, 0, len(o.channels))
	for id := range o.channels {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Credentials are the secrets of a new channel, returned once.
type Credentials struct {
	StreamKey string
	HostToken string
}

// CreateChannel creates a channel and returns its one-time credentials.
func (o *Origin) CreateChannel(id, title string) (*Channel, Credentials, error) {
	if !ValidChannelID(id) {
		return nil, Credentials{}, fmt.Errorf("channel id %q: lower-case letters, digits, '_' or '-', 1-64 chars, not starting with '_' or '-': %w", id, ErrInvalid)
	}
	if len(title) > 200 {
		return nil, Credentials{}, fmt.Errorf("title longer than 200 bytes: %w", ErrInvalid)
	}
	var cr Credentials
	var err error
	if cr.StreamKey, err = newToken(); err != nil {
		return nil, cr, err
	}
	if cr.HostToken, err = newToken(); err != nil {
		return nil, cr, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.channels[id] != nil {
		return nil, Credentials{}, fmt.Errorf("channel %q: %w", id, ErrExists)
	}
	ch := newChannel(o, channelRecord{ID: id, Title: title, KeyHash: hashToken(cr.StreamKey),
		HostHash: hashToken(cr.HostToken), CreatedAt: o.cfg.Now().UTC()})
	if err := ch.saveLocked(); err != nil {
		return nil, Credentials{}, err
	}
	if err := o.store.Sync(); err != nil {
		return nil, Credentials{}, storageErr("sync", err)
	}
	o.channels[id] = ch
	return ch, cr, nil
}

// RunMaintenance prunes the archive every interval until ctx ends.
func (o *Origin) RunMaintenance(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			o.Prune()
			for _, id := range o.Channels() {
				if ch, err := o.Channel(id); err == nil {
					ch.drainHeld()
					ch.PublishDue()
				}
			}
		}
	}
}

// Prune drops archive buckets older than the retention and forgets their
// segments in memory.
func (o *Origin) Prune() {
	now := o.cfg.Now()
	if _, err := o.store.Prune(now); err != nil {
		o.log.Warn("prune", "err", err)
	}
	cutoff := now.Add(-o.cfg.Retention)
	o.segs.dropBefore(cutoff)
	for _, id := range o.Channels() {
		if ch, err := o.Channel(id); err == nil {
			ch.forgetBefore(cutoff)
		}
	}
}

// storageErr wraps a store failure in the origin vocabulary.
// StorageErr wraps a store error in the origin's vocabulary (ErrDiskFull,
// ErrNotFound, else ErrStorage), for sibling packages that use the store.
func StorageErr(op string, err error) error { return storageErr(op, err) }

func storageErr(op string, err error) error {
	if errors.Is(err, store.ErrDiskFull) {
		return fmt.Errorf("%s: %w: %v", op, ErrDiskFull, err)
	}
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s: %w", op, ErrNotFound)
	}
	return fmt.Errorf("%s: %w: %v", op, ErrStorage, err)
}
