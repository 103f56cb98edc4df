package origin

import (
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"hlsorigin/segments"
)

// renditionRecord is the persisted form of a rendition.
type renditionRecord struct {
	Name     string `json:"name"`
	InitName string `json:"init_name"`
	InitVer  uint32 `json:"init_ver"` // current live init version
	MaxVer   uint32 `json:"max_ver"`  // highest init version allocated (live or slate)
	Target   int    `json:"target"`
	// SlateInits maps a combined-init key (slate variant, live init version,
	// audio mode) to its init version.
	SlateInits map[string]uint32 `json:"slate_inits,omitempty"`
	// LiveOf maps a slate init version to the live init version it was built from.
	LiveOf map[uint32]uint32 `json:"live_of,omitempty"`
	// Listed is the listing frontier saved when the publish delay grew:
	// what a shorter delay listed stays listed after a restart.
	Listed uint64 `json:"listed,omitempty"`
}

// allocVer returns a new init version number.
func (r *Rendition) allocVer() uint32 {
	r.rec.MaxVer = max(r.rec.MaxVer, r.rec.InitVer) + 1
	return r.rec.MaxVer
}

// liveVer maps an init version to the live init it derives from.
func (r *Rendition) liveVer(v uint32) uint32 {
	if lv, ok := r.rec.LiveOf[v]; ok {
		return lv
	}
	return v
}

// Rendition is one media playlist of a channel.
type Rendition struct {
	ch   *Channel
	name string
	// Guarded by ch.mu.
	rec      renditionRecord
	inits    map[uint32]*segments.Init
	segs     []SegmentInfo
	nextSeq  uint64
	reinit   bool      // an init was PUT again: the next segment may start a new discontinuity
	initDiff bool      // ... and its bytes differ from the previous one
	pending  []string  // staged segment names waiting for the init or a missing predecessor
	lastNum  int64     // number of the last committed segment name (see reorder.go)
	lags     []float64 // arrival lag behind the program date time, recent segments (see earliestStart)
	hasNum   bool
	bw       advertised // see bandwidth.go
	listed   uint64     // segments with Seq < listed are in the live playlist (see delay.go)

	listedA  atomic.Uint64                       // listed, for lock-free readers
	gone     atomic.Pointer[map[uint64]struct{}] // withdrawn sequence numbers (copy on write)
	epoch    uint64                              // encoder session: host discontinuities counted (see enctime.go)
	epochSeq uint64                              // first sequence number of the session
	enc      encClock                            // the encoder's clock, when its ingest tells it

	hotMu sync.RWMutex
	hot   map[uint64]*hotItem // newest segments, see hotSet
	// cold collapses concurrent store reads of the same segment (a CDN
	// or many players asking for one that left the hot set) into one.
	cold singleflight.Group

	media atomic.Pointer[Published]
	info  atomic.Pointer[RenditionInfo]
}

// RenditionInfo is a lock-free summary used by the multivariant and the API.
type RenditionInfo struct {
	Name             string   `json:"name"`
	Kind             string   `json:"kind"` // "video" | "audio"
	Codecs           string   `json:"codecs"`
	SlateCodecs      []string `json:"-"` // video codecs of the slates it may splice in (see variantCodecs)
	Width            int      `json:"width,omitempty"`
	Height           int      `json:"height,omitempty"`
	FrameRate        float64  `json:"frame_rate,omitempty"`
	HasAudio         bool     `json:"has_audio"`
	AudioCodec       string   `json:"-"`
	Channels         int      `json:"channels,omitempty"`
	Bandwidth        uint32   `json:"bandwidth"`
	AverageBandwidth uint32   `json:"average_bandwidth"`
	TargetDuration   int      `json:"target_duration"`
	LastSeq          uint64   `json:"last_seq"`
	Segments         int      `json:"segments"`
}

func newRendition(ch *Channel, name string) *Rendition {
	return &Rendition{ch: ch, name: name, rec: renditionRecord{Name: name},
		inits: map[uint32]*segments.Init{}, hot: map[uint64]*hotItem{}}
}

// Name is the rendition name (the ingest playlist's stem).
func (r *Rendition) Name() string { return r.name }

func (r *Rendition) published() bool { return r.media.Load() != nil }

// Info returns the latest summary.
func (r *Rendition) Info() RenditionInfo {
	if p := r.info.Load(); p != nil {
		return *p
	}
	return RenditionInfo{Name: r.name}
}

// Playlist returns the published live media playlist.
func (r *Rendition) Playlist() (*Published, error) {
	if p := r.media.Load(); p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("rendition %q: %w", r.name, ErrNotLive)
}

// Init returns the bytes of an init segment version.
func (r *Rendition) Init(ver uint32) ([]byte, error) {
	r.ch.mu.Lock()
	in := r.inits[ver]
	r.ch.mu.Unlock()
	if in == nil {
		return nil, fmt.Errorf("init %d of %q: %w", ver, r.name, ErrNotFound)
	}
	return in.Raw, nil
}

// Segments returns a copy of the servable timeline (oldest first): listed
// segments, without withdrawn ones (see servable).
func (r *Rendition) Segments() []SegmentInfo {
	r.ch.mu.Lock()
	defer r.ch.mu.Unlock()
	return r.servable()
}

// Segment returns the bytes of segment seq. notYet reports a sequence
// number that has not been produced yet (a short cache lifetime fits).
// Recent segments come from the hot set, older ones from the archive
// segment cache or else the store (and are then cached).
func (r *Rendition) Segment(seq uint64) (data []byte, notYet bool, err error) {
	return r.segment(seq, true)
}

// ArchiveSource reads segments like Segment but never adds to the archive
// segment cache: a long sequential read (an MP4 export of hours) would
// otherwise flush what players are using.
func (r *Rendition) ArchiveSource() SegmentSource { return uncached{r} }

// SegmentSource gives stored segment bytes by sequence number.
type SegmentSource interface {
	Segment(seq uint64) (data []byte, notYet bool, err error)
}

type uncached struct{ r *Rendition }

func (u uncached) Segment(seq uint64) ([]byte, bool, error) { return u.r.segment(seq, false) }

func (r *Rendition) segment(seq uint64, fill bool) (data []byte, notYet bool, err error) {
	if err := r.reachable(seq); err != nil {
		return nil, seq >= r.listedA.Load(), err
	}
	var b []byte
	r.hotMu.RLock()
	if it := r.hot[seq]; it != nil {
		b = it.data
	}
	r.hotMu.RUnlock()
	if b != nil {
		return b, false, nil
	}
	cache := r.ch.o.segs
	if b, ok := cache.get(segKey{r, seq}); ok {
		return b, false, nil
	}
	r.ch.mu.Lock()
	next := r.nextSeq
	r.ch.mu.Unlock()
	if seq >= next {
		return nil, true, fmt.Errorf("segment %d of %q: %w", seq, r.name, ErrNotFound)
	}
	key := strconv.FormatUint(seq, 10)
	if fill {
		cache.misses.Add(1)
	} else {
		key = "u" + key
	}
	v, err, _ := r.cold.Do(key, func() (any, error) {
		b, ref, err := r.ch.o.store.Segment(r.ch.rec.ID, r.name, seq)
		if err == nil && fill {
			cache.put(segKey{r, seq}, b, ref.At)
		}
		return b, err
	})
	if err != nil {
		return nil, false, storageErr(fmt.Sprintf("segment %d of %q", seq, r.name), err)
	}
	return v.([]byte), false, nil
}

func (r *Rendition) putHot(seq uint64, data []byte) {
	r.ch.o.hot.put(r, seq, data, uint64(r.ch.o.cfg.HotSegments))
}

// forgetBefore drops timeline entries whose wall clock is before cutoff.
func (r *Rendition) forgetBefore(cutoff time.Time) {
	i := sort.Search(len(r.segs), func(i int) bool { return !r.segs[i].PDT.Before(cutoff) })
	if i > 0 && i < len(r.segs) {
		r.segs = append([]SegmentInfo(nil), r.segs[i:]...)
	}
}

// InitOf returns the parsed init segment that segment seq decodes with.
func (r *Rendition) InitOf(seq uint64) (*segments.Init, error) {
	r.ch.mu.Lock()
	defer r.ch.mu.Unlock()
	i := sort.Search(len(r.segs), func(i int) bool { return r.segs[i].Seq >= seq })
	if i == len(r.segs) || r.segs[i].Seq != seq {
		return nil, fmt.Errorf("segment %d of %q: %w", seq, r.name, ErrNotFound)
	}
	if in := r.inits[r.segs[i].InitVer]; in != nil {
		return in, nil
	}
	return nil, fmt.Errorf("init of segment %d of %q: %w", seq, r.name, ErrNotFound)
}
