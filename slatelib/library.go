package slatelib

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"hlsorigin/fixtures"
	"hlsorigin/origin"
	"hlsorigin/slate"
	"hlsorigin/slate/topic"
)

// Slate statuses.
const (
	Approved = "approved"
	Rejected = "rejected"
	Pending  = "pending"
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
	Bytes       int       `json:"bytes,omitempty"`
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

	mu       sync.RWMutex
	cfg      Config
	metas    map[string]*Meta
	defaults map[string]string   // channel -> default slate id
	tags     map[string][]string // channel -> topic tags
	history  map[string][]HistoryEntry
	model    *topic.Model
	secret   []byte
}

// New loads the library of an origin (bundled presets, then what the store
// holds) and installs it as the origin's slate picker and channel observer.
// Call it once per origin, before ingest starts.
func New(o *origin.Origin) (*Library, error) {
	cfg := o.Config()
	l := &Library{o: o, log: cfg.Logger, now: cfg.Now, client: &http.Client{}, cfg: Config{}.withDefaults(),
		metas: map[string]*Meta{}, defaults: map[string]string{}, tags: map[string][]string{},
		history: map[string][]HistoryEntry{}}
	if err := l.loadBundled(); err != nil {
		return nil, err
	}
	if err := l.loadStored(); err != nil {
		return nil, err
	}
	l.rebuildModel()
	o.SetSlatePicker(l.pick)
	o.SetChannelObserver(l)
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
	l.cfg = cfg
	return nil
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

func (l *Library) loadBundled() error {
	ps, err := fixtures.Presets()
	if err != nil {
		return fmt.Errorf("bundled presets: %w", err)
	}
	for _, p := range ps {
		m := &Meta{ID: p.ID, Title: p.Title, Tags: p.Tags, Description: p.Description, Status: Approved,
			Bundled: true}
		if p.ID != origin.DefaultSlateID {
			file, err := fixtures.PresetMedia(p)
			if err != nil {
				return err
			}
			sl, err := slate.Load(p.ID, file)
			if err != nil {
				return fmt.Errorf("preset %s: %w", p.ID, err)
			}
			l.o.PutSlate(p.ID, []*slate.Slate{sl})
			m.Width, m.Height, m.Bytes = sl.Width, sl.Height, len(file)
		} else if d := l.o.SlateVariant(origin.DefaultSlateID, 1920, 1080); d != nil {
			m.Width, m.Height = d.Width, d.Height
		}
		l.metas[p.ID] = m
	}
	return nil
}

// Record layout (kind "sl"): m/<id> metadata, v/<id> media (CMAF),
// d/<channel> a channel's default slate id, t/<channel> its topic tags.
// History (kind "sh"): <channel>/<time key>.
func (l *Library) loadStored() error {
	st := l.o.Store()
	var bad error
	err := st.Records("sl", []string{"m"}, func(_ []string, val []byte) bool {
		var m Meta
		if err := json.Unmarshal(val, &m); err != nil {
			bad = fmt.Errorf("slate record: %w", err)
			return false
		}
		l.metas[m.ID] = &m
		return true
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return err
	}
	for id, m := range l.metas {
		if m.Bundled || m.Status != Approved {
			continue
		}
		b, err := st.Record("sl", []string{"v", id})
		if err != nil {
			l.log.Warn("slate media missing: slate not shown", "slate", id, "err", err)
			m.Status, m.Reason = Rejected, "media missing"
			continue
		}
		sl, err := slate.Load(id, b)
		if err != nil {
			m.Status, m.Reason = Rejected, "media unreadable"
			continue
		}
		l.o.PutSlate(id, []*slate.Slate{sl})
	}
	_ = st.Records("sl", []string{"d"}, func(parts []string, val []byte) bool {
		l.defaults[parts[len(parts)-1]] = string(val)
		return true
	})
	_ = st.Records("sl", []string{"t"}, func(parts []string, val []byte) bool {
		var tags []string
		if json.Unmarshal(val, &tags) == nil {
			l.tags[parts[len(parts)-1]] = tags
		}
		return true
	})
	return st.Records("sh", nil, func(parts []string, val []byte) bool {
		var h HistoryEntry
		if len(parts) == 2 && json.Unmarshal(val, &h) == nil {
			l.history[parts[0]] = append(l.history[parts[0]], h)
		}
		return true
	})
}

// rebuildModel recomputes the TF-IDF model over the approved presets.
// Called with l.mu held (or before the library is shared).
func (l *Library) rebuildModel() {
	var docs []topic.Doc
	for _, m := range l.presetsLocked() {
		docs = append(docs, topic.Doc{ID: m.ID, Text: append([]string{m.Title, m.Description}, m.Tags...)})
	}
	l.model = topic.NewModel(docs)
}

func (l *Library) presetsLocked() []*Meta {
	var out []*Meta
	for _, m := range l.metas {
		if m.Owner == "" && m.Status == Approved {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Bundled != out[j].Bundled {
			return out[i].Bundled
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Presets lists the system presets (bundled first).
func (l *Library) Presets() []Meta {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []Meta
	for _, m := range l.metas {
		if m.Owner == "" {
			out = append(out, *m)
		}
	}
	sortMetas(out)
	return out
}

// ChannelSlates lists a channel's own slates, newest first.
func (l *Library) ChannelSlates(ch *origin.Channel) []Meta {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := []Meta{}
	for _, m := range l.metas {
		if m.Owner == ch.ID() {
			out = append(out, *m)
		}
	}
	sortMetas(out)
	return out
}

func sortMetas(ms []Meta) {
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].Bundled != ms[j].Bundled {
			return ms[i].Bundled
		}
		if !ms[i].CreatedAt.Equal(ms[j].CreatedAt) {
			return ms[i].CreatedAt.After(ms[j].CreatedAt)
		}
		return ms[i].ID < ms[j].ID
	})
}

// Meta returns one slate's metadata.
func (l *Library) Meta(id string) (Meta, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if m := l.metas[id]; m != nil {
		return *m, nil
	}
	return Meta{}, fmt.Errorf("slate %q: %w", id, ErrNotFound)
}

// usableBy says whether ch may show slate id, and if not why.
func (l *Library) usableByLocked(ch *origin.Channel, id string) (bool, string) {
	m := l.metas[id]
	switch {
	case m == nil:
		return false, fmt.Sprintf("slate %q not found", id)
	case m.Owner != "" && m.Owner != ch.ID():
		return false, fmt.Sprintf("slate %q belongs to another channel", id)
	case m.Status == Rejected:
		return false, fmt.Sprintf("slate %q rejected: %s", id, m.Reason)
	case m.Status != Approved:
		return false, fmt.Sprintf("slate %q is %s moderation", id, m.Status)
	case !l.o.HasSlate(id):
		return false, fmt.Sprintf("slate %q has no media", id)
	}
	return true, ""
}

// SetChannelDefault makes an approved slate (own or preset) the one a
// pause of ch shows unless the pause asks for another; "" clears it.
func (l *Library) SetChannelDefault(ch *origin.Channel, id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if id == "" {
		if err := l.o.Store().DeleteRecord("sl", []string{"d", ch.ID()}); err != nil {
			return origin.StorageErr("clear default slate", err)
		}
		delete(l.defaults, ch.ID())
		return nil
	}
	if ok, why := l.usableByLocked(ch, id); !ok {
		if l.metas[id] == nil {
			return fmt.Errorf("%s: %w", why, ErrNotFound)
		}
		return fmt.Errorf("%s: %w", why, ErrConflict)
	}
	if err := l.o.Store().PutRecord("sl", []string{"d", ch.ID()}, []byte(id), true); err != nil {
		return origin.StorageErr("save default slate", err)
	}
	l.defaults[ch.ID()] = id
	return nil
}

// ChannelDefault returns a channel's default slate id ("" when unset).
func (l *Library) ChannelDefault(ch *origin.Channel) string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.defaults[ch.ID()]
}

// SetChannelTags sets the topic tags of a channel (used by matching and
// recorded in its history).
func (l *Library) SetChannelTags(ch *origin.Channel, tags []string) error {
	tags, err := cleanTags(tags)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(tags)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.o.Store().PutRecord("sl", []string{"t", ch.ID()}, b, false); err != nil {
		return origin.StorageErr("save channel tags", err)
	}
	l.tags[ch.ID()] = tags
	l.noteLocked(ch, "title", ch.Title())
	return nil
}

// ChannelTags returns a channel's topic tags.
func (l *Library) ChannelTags(ch *origin.Channel) []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]string{}, l.tags[ch.ID()]...)
}

// History returns a channel's past sessions and titles, oldest first.
func (l *Library) History(ch *origin.Channel) []HistoryEntry {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]HistoryEntry{}, l.history[ch.ID()]...)
}

// SessionStarted records the start of a live session (called by ingest).
func (l *Library) SessionStarted(ch *origin.Channel) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.noteLocked(ch, "session", ch.Title())
}

// TitleChanged records a title change.
func (l *Library) TitleChanged(ch *origin.Channel, title string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.noteLocked(ch, "title", title)
}

func (l *Library) noteLocked(ch *origin.Channel, kind, title string) {
	hs := l.history[ch.ID()]
	tags := l.tags[ch.ID()]
	if n := len(hs); n > 0 && hs[n-1].Title == title && strings.Join(hs[n-1].Tags, ",") == strings.Join(tags, ",") {
		return // nothing new to learn from
	}
	now := l.now().UTC()
	if n := len(hs); n > 0 && !now.After(hs[n-1].At) {
		now = hs[n-1].At.Add(time.Microsecond)
	}
	h := HistoryEntry{At: now, Kind: kind, Title: title, Tags: append([]string(nil), tags...)}
	b, _ := json.Marshal(h)
	if err := l.o.Store().PutRecord("sh", []string{ch.ID(), historyKey(now)}, b, false); err != nil {
		l.log.Warn("record channel history", "channel", ch.ID(), "err", err)
		return
	}
	hs = append(hs, h)
	for len(hs) > historyKeep {
		_ = l.o.Store().DeleteRecord("sh", []string{ch.ID(), historyKey(hs[0].At)})
		hs = hs[1:]
	}
	l.history[ch.ID()] = hs
}

func historyKey(t time.Time) string {
	return fmt.Sprintf("%020s", strconv.FormatInt(t.UnixMicro(), 10))
}

// Upload validates, moderates and stores an uploaded slate. owner is nil
// for a system preset (admin). Bad media or metadata is refused with
// nothing stored (ErrBadMedia, ErrInvalid, ErrTooLarge, ErrUnprocessable);
// a valid upload is stored with its moderation outcome: approved, or
// rejected with a reason (its media is then dropped).
func (l *Library) Upload(owner *origin.Channel, file []byte, up UploadInfo) (Meta, error) {
	cfg := l.Config()
	if len(file) > cfg.MaxUploadBytes {
		return Meta{}, fmt.Errorf("slate upload of %d bytes: at most %d: %w", len(file), cfg.MaxUploadBytes, ErrTooLarge)
	}
	var err error
	if up, err = cleanUpload(up); err != nil {
		return Meta{}, err
	}
	p, err := slate.PrepareUpload(file, cfg.Limits)
	if errors.Is(err, slate.ErrUploadTooLarge) {
		return Meta{}, fmt.Errorf("%v: %w", err, ErrTooLarge)
	}
	if err != nil {
		return Meta{}, fmt.Errorf("%v: %w", err, ErrBadMedia)
	}
	if owner != nil {
		if err := checkChannelCodec(owner, p); err != nil {
			return Meta{}, err
		}
	}
	sl, err := slate.Load("upload", p.CMAF)
	if err != nil {
		return Meta{}, fmt.Errorf("%v: %w", err, ErrBadMedia)
	}
	id, err := newSlateID()
	if err != nil {
		return Meta{}, err
	}
	sl.ID = id
	m := Meta{ID: id, Title: up.Title, Tags: up.Tags, Description: up.Description, Status: Approved,
		Width: p.Width, Height: p.Height, Codec: p.Codec, Duration: p.Duration, Bytes: len(p.CMAF),
		CreatedAt: l.now().UTC()}
	if owner != nil {
		m.Owner = owner.ID()
		if term := Blocked(cfg.Blocklist, up); term != "" {
			m.Status, m.Reason = Rejected, fmt.Sprintf("blocked term %q", term)
			return m, l.saveMeta(m)
		}
		if cfg.ModerationURL != "" {
			m.Status = Pending
			if err := l.saveMedia(id, p.CMAF); err != nil {
				return Meta{}, err
			}
			if err := l.saveMeta(m); err != nil {
				return Meta{}, err
			}
			allowed, reason := l.moderate(cfg, m)
			m.Status, m.Reason = Approved, reason
			if !allowed {
				m.Status = Rejected
				if err := l.o.Store().DeleteRecord("sl", []string{"v", id}); err != nil {
					l.log.Warn("drop rejected slate media", "slate", id, "err", err)
				}
			}
			if m.Status == Approved {
				l.o.PutSlate(id, []*slate.Slate{sl})
			}
			return m, l.saveMeta(m)
		}
	}
	if err := l.saveMedia(id, p.CMAF); err != nil {
		return Meta{}, err
	}
	l.o.PutSlate(id, []*slate.Slate{sl})
	return m, l.saveMeta(m)
}

// saveMeta stores (durably) and indexes a slate's metadata.
func (l *Library) saveMeta(m Meta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := l.o.Store().PutRecord("sl", []string{"m", m.ID}, b, true); err != nil {
		return origin.StorageErr("save slate", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.metas[m.ID] = &m
	if m.Owner == "" {
		l.rebuildModel()
	}
	return nil
}

func (l *Library) saveMedia(id string, cmaf []byte) error {
	if err := l.o.Store().PutRecord("sl", []string{"v", id}, cmaf, true); err != nil {
		return origin.StorageErr("save slate media", err)
	}
	return nil
}

// Media returns the stored media (CMAF) of a slate that has some.
func (l *Library) Media(id string) ([]byte, error) {
	l.mu.RLock()
	m := l.metas[id]
	l.mu.RUnlock()
	if m == nil {
		return nil, fmt.Errorf("slate %q: %w", id, ErrNotFound)
	}
	if m.Bundled {
		if id == origin.DefaultSlateID {
			return fixtures.Slate(360)
		}
		ps, err := fixtures.Presets()
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if p.ID == id {
				return fixtures.PresetMedia(p)
			}
		}
	}
	b, err := l.o.Store().Record("sl", []string{"v", id})
	if err != nil {
		return nil, origin.StorageErr("slate media", err)
	}
	return b, nil
}

func newSlateID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("slate id: %w", err)
	}
	return "s" + hex.EncodeToString(b), nil
}

// MediaToken signs a short-lived media URL token for slate id.
func (l *Library) MediaToken(id string, ttl time.Duration) (string, error) {
	key, err := l.mediaSecret()
	if err != nil {
		return "", err
	}
	exp := strconv.FormatInt(l.now().Add(ttl).Unix(), 10)
	return exp + "." + hex.EncodeToString(mediaMAC(key, id, exp)), nil
}

// CheckMediaToken verifies a media token for slate id (constant time).
func (l *Library) CheckMediaToken(id, tok string) error {
	exp, mac, ok := strings.Cut(tok, ".")
	sum, err := hex.DecodeString(mac)
	if !ok || err != nil || len(exp) > 20 {
		return fmt.Errorf("media token invalid: %w", ErrUnauthorized)
	}
	key, err := l.mediaSecret()
	if err != nil {
		return err
	}
	if !hmac.Equal(sum, mediaMAC(key, id, exp)) {
		return fmt.Errorf("media token invalid: %w", ErrUnauthorized)
	}
	t, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || l.now().Unix() > t {
		return fmt.Errorf("media token expired: %w", ErrUnauthorized)
	}
	return nil
}

func mediaMAC(key []byte, id, exp string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("slate-media\x00" + id + "\x00" + exp))
	return m.Sum(nil)
}

func (l *Library) mediaSecret() ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.secret != nil {
		return l.secret, nil
	}
	if b, err := l.o.Store().Record("meta", []string{"slate_media_secret"}); err == nil && len(b) == 32 {
		l.secret = b
		return b, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("media secret: %w", err)
	}
	if err := l.o.Store().PutRecord("meta", []string{"slate_media_secret"}, b, true); err != nil {
		return nil, origin.StorageErr("save media secret", err)
	}
	l.secret = b
	return b, nil
}

// checkChannelCodec refuses a slate the channel's video renditions could
// not carry: they must all be H.264, with a profile at least the slate's.
func checkChannelCodec(ch *origin.Channel, p *slate.Prepared) error {
	rank, _ := slate.ProfileRank(p.Profile)
	for _, r := range ch.Renditions() {
		info := r.Info()
		if info.Kind != "video" || info.Codecs == "" {
			continue
		}
		vc := videoCodecOf(info.Codecs)
		if !strings.HasPrefix(vc, "avc1.") && !strings.HasPrefix(vc, "avc3.") || len(vc) < 7 {
			return fmt.Errorf("rendition %s is %s: slates are H.264, the channel cannot show them: %w", info.Name, vc, ErrUnprocessable)
		}
		prof, err := strconv.ParseUint(vc[5:7], 16, 8)
		if err != nil {
			continue
		}
		rr, ok := slate.ProfileRank(int(prof))
		if !ok {
			continue // an unusual rendition profile: nothing to compare with
		}
		if rank > rr {
			return fmt.Errorf("slate is H.264 %s, rendition %s is %s (%s): upload a %s (or lower) slate: %w",
				slate.ProfileName(p.Profile), info.Name, slate.ProfileName(int(prof)), vc, slate.ProfileName(int(prof)), ErrUnprocessable)
		}
	}
	return nil
}

// videoCodecOf picks the video codec from a CODECS list.
func videoCodecOf(codecs string) string {
	for _, c := range strings.Split(codecs, ",") {
		c = strings.TrimSpace(c)
		if !strings.HasPrefix(c, "mp4a") && !strings.HasPrefix(c, "ac-3") && !strings.HasPrefix(c, "ec-3") &&
			!strings.HasPrefix(strings.ToLower(c), "opus") {
			return strings.ToLower(c)
		}
	}
	return ""
}

// Limits of slate metadata.
const (
	maxSlateTitle = 100
	maxSlateDesc  = 500
	maxSlateTags  = 20
	maxSlateTag   = 40
)

func cleanUpload(up UploadInfo) (UploadInfo, error) {
	up.Title = strings.TrimSpace(up.Title)
	up.Description = strings.TrimSpace(up.Description)
	if err := cleanText("title", up.Title, maxSlateTitle, false); err != nil {
		return up, err
	}
	if err := cleanText("description", up.Description, maxSlateDesc, true); err != nil {
		return up, err
	}
	var err error
	up.Tags, err = cleanTags(up.Tags)
	return up, err
}

func cleanTags(tags []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" || seen[strings.ToLower(t)] {
			continue
		}
		if err := cleanText("tag", t, maxSlateTag, false); err != nil {
			return nil, err
		}
		seen[strings.ToLower(t)] = true
		out = append(out, t)
	}
	if len(out) > maxSlateTags {
		return nil, fmt.Errorf("%d tags: at most %d: %w", len(out), maxSlateTags, ErrInvalid)
	}
	return out, nil
}

func cleanText(what, s string, maxRunes int, newlines bool) error {
	switch {
	case !utf8.ValidString(s):
		return fmt.Errorf("%s is not UTF-8: %w", what, ErrInvalid)
	case utf8.RuneCountInString(s) > maxRunes:
		return fmt.Errorf("%s longer than %d characters: %w", what, maxRunes, ErrInvalid)
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && !(newlines && r == '\n') }) >= 0:
		return fmt.Errorf("%s holds control characters: %w", what, ErrInvalid)
	}
	return nil
}
