package origin

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"hlsorigin/segments"
)

// channelRecord is the persisted form of a channel.
type channelRecord struct {
	ID        string            `json:"id"`
	Title     string            `json:"title"`
	KeyHash   []byte            `json:"key_hash"`
	HostHash  []byte            `json:"host_hash"`
	CreatedAt time.Time         `json:"created_at"`
	Prefixes  map[string]string `json:"prefixes,omitempty"`    // segment name prefix -> rendition
	InitOwner map[string]string `json:"init_owners,omitempty"` // init file name -> rendition
	// PendingInits are init names PUT before any playlist claimed them.
	PendingInits []string `json:"pending_inits,omitempty"`
	// PollOptions open each pause's audience poll (empty: the defaults of
	// the PauseObserver, which validates them; the origin does not read them).
	PollOptions []string `json:"poll_options,omitempty"`
	// PublishDelayMS overrides Config.PublishDelay (nil: the default).
	PublishDelayMS *int64 `json:"publish_delay_ms,omitempty"`
	// Declared is the BANDWIDTH the encoder's multivariant declares, by
	// rendition (see bandwidth.go).
	Declared map[string]uint32 `json:"declared,omitempty"`
	// EndedAt is when the session ended (EXT-X-ENDLIST), zero while one runs.
	EndedAt time.Time `json:"ended_at,omitzero"`
}

// Channel is one live stream: its renditions and their timelines. Ingest
// mutates it under mu; readers use the published snapshots lock-free.
//
// ingestMu serializes whatever changes the timelines (every ingest call and
// the maintenance that commits held segments) and is taken before mu.
// While it holds ingestMu, Rendition.store releases mu for the time the
// segment's bytes take to reach the store, so a pause, a resume or a read
// never waits for the disk behind a segment. Everything that segment's
// commit decided (sequence number, cut, slate parts) was decided under mu
// first: the commit is ordered before a pause that starts while its bytes
// are written, as when it had finished a moment earlier (its media arrived
// before the pause call, so it predates the pause).
type Channel struct {
	o        *Origin
	ingestMu sync.Mutex
	mu       sync.Mutex

	rec          channelRecord
	rends        map[string]*Rendition
	pendingInits map[string]*segments.Init // init name -> parsed init not yet claimed by a playlist
	staged       map[string]stagedSegment  // ingest name -> staged segment
	recent       map[string]string         // ingest name -> body hash of recently committed segments
	recentOrder  []string
	anchor       anchor
	lastIngest   time.Time
	pauses       []Pause // retained pauses, oldest first; the last may be open
	clk          clockState

	// cuts: pause id -> the instants every rendition cuts it at (align.go).
	cuts map[string]*pauseCut

	events events

	multivariant atomic.Pointer[Published]
	title        atomic.Pointer[string]

	dueTimer     *time.Timer // lists delayed segments when due (guarded by mu, see delay.go)
	dueAt        time.Time
	delayStopped bool        // Close: no more timers
	reconciling  atomic.Bool // a Reconcile runs in the background
	reconcileBad atomic.Bool // the last one failed: the maintenance loop retries
}

type stagedSegment struct {
	at   time.Time
	hash string
	mem  []byte // held in memory only: staged while paused (host video never reaches disk)
}

// anchor maps media time (seconds) to wall clock for the whole channel, so
// that every rendition gets the same PROGRAM-DATE-TIME for the same instant.
type anchor struct {
	set   bool
	wall  time.Time
	media float64
}

func (a anchor) wallAt(media float64) time.Time {
	return a.wall.Add(time.Duration((media - a.media) * float64(time.Second)))
}

func newChannel(o *Origin, rec channelRecord) *Channel {
	if rec.Prefixes == nil {
		rec.Prefixes = map[string]string{}
	}
	if rec.InitOwner == nil {
		rec.InitOwner = map[string]string{}
	}
	ch := &Channel{o: o, rec: rec, rends: map[string]*Rendition{}, pendingInits: map[string]*segments.Init{},
		staged: map[string]stagedSegment{}, recent: map[string]string{}}
	ch.events.floor = uint64(o.cfg.Now().UnixMicro())
	t := rec.Title
	ch.title.Store(&t)
	return ch
}

// ID is the channel id.
func (ch *Channel) ID() string { return ch.rec.ID }

// Title is the current title.
func (ch *Channel) Title() string { return *ch.title.Load() }

// SetTitle changes the title.
func (ch *Channel) SetTitle(title string) error {
	if len(title) > 200 {
		return fmt.Errorf("title longer than 200 bytes: %w", ErrInvalid)
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.rec.Title = title
	if err := ch.saveLocked(); err != nil {
		return err
	}
	ch.title.Store(&title)
	ch.o.noteTitle(ch, title)
	ch.Emit("title", map[string]string{"title": title})
	return nil
}

// CheckStreamKey verifies an ingest credential in constant time.
func (ch *Channel) CheckStreamKey(key string) error {
	ch.mu.Lock()
	hash := ch.rec.KeyHash
	ch.mu.Unlock()
	if !tokenMatches(key, hash) {
		return fmt.Errorf("stream key: %w", ErrUnauthorized)
	}
	return nil
}

// CheckHostToken verifies a host credential in constant time.
func (ch *Channel) CheckHostToken(tok string) error {
	ch.mu.Lock()
	hash := ch.rec.HostHash
	ch.mu.Unlock()
	if !tokenMatches(tok, hash) {
		return fmt.Errorf("host token: %w", ErrForbidden)
	}
	return nil
}

// State is "idle", "live", "paused", "reconnecting" or "ended" (see
// timeline.State).
func (ch *Channel) State() string {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return string(ch.stateLocked())
}

// Rendition returns a rendition by name.
func (ch *Channel) Rendition(name string) (*Rendition, error) {
	ch.mu.Lock()
	r := ch.rends[name]
	ch.mu.Unlock()
	if r == nil || !r.published() {
		return nil, fmt.Errorf("rendition %q: %w", name, ErrNotFound)
	}
	return r, nil
}

// Renditions returns the renditions that have media, by name.
func (ch *Channel) Renditions() []*Rendition {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	out := make([]*Rendition, 0, len(ch.rends))
	for _, r := range ch.rends {
		if r.published() {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// Multivariant returns the published multivariant playlist.
func (ch *Channel) Multivariant() (*Published, error) {
	p := ch.multivariant.Load()
	if p == nil {
		return nil, fmt.Errorf("channel %q: %w", ch.rec.ID, ErrNotLive)
	}
	return p, nil
}

func (ch *Channel) saveLocked() error {
	b, err := json.Marshal(ch.rec)
	if err != nil {
		return fmt.Errorf("encode channel: %w", err)
	}
	if err := ch.o.store.PutChannel(ch.rec.ID, b); err != nil {
		return storageErr("save channel", err)
	}
	return nil
}

// forgetBefore drops in-memory segment entries older than cutoff.
func (ch *Channel) forgetBefore(cutoff time.Time) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	for _, r := range ch.rends {
		r.forgetBefore(cutoff)
	}
}
