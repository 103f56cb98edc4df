package origin

import (
	"fmt"
	"sync"

	"hlsorigin/fixtures"
	"hlsorigin/slate"
)

// DefaultSlateID names the bundled slate.
const DefaultSlateID = "default"

// slateSet holds slates by id, each as variants at several resolutions.
type slateSet struct {
	mu    sync.RWMutex
	byID  map[string][]*slate.Slate
	sizer slateSizer // makes variants at the renditions' sizes (slatesizes.go)
}

// put installs (or replaces) the variants of slate id.
func (s *slateSet) put(id string, vs []*slate.Slate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID[id] = vs
}

// has reports whether slate id has media.
func (s *slateSet) has(id string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.byID[id]) > 0
}

// loadDefaultSlates loads the bundled default slate at every resolution.
func loadDefaultSlates() (*slateSet, error) {
	set := &slateSet{byID: map[string][]*slate.Slate{}}
	for _, h := range fixtures.SlateHeights() {
		file, err := fixtures.Slate(h)
		if err != nil {
			return nil, err
		}
		sl, err := slate.Load(fmt.Sprintf("%s_%d", DefaultSlateID, h), file)
		if err != nil {
			return nil, fmt.Errorf("slate %dp: %w", h, err)
		}
		set.byID[DefaultSlateID] = append(set.byID[DefaultSlateID], sl)
	}
	return set, nil
}

// variant returns the variant of slate id nearest to width x height,
// falling back to the default slate.
func (s *slateSet) variant(id string, width, height int) *slate.Slate {
	s.mu.RLock()
	defer s.mu.RUnlock()
	vs := s.byID[id]
	if len(vs) == 0 {
		vs = s.byID[DefaultSlateID]
	}
	return slate.Nearest(vs, width, height)
}

// pickSlate applies the installed policy, else the requested slate when it
// exists, else the default.
func (o *Origin) pickSlate(ch *Channel, requested string) SlateChoice {
	if o.picker != nil {
		return o.picker(ch, requested)
	}
	if requested != "" && o.slates.has(requested) {
		return SlateChoice{ID: requested, Reason: "requested by the host"}
	}
	if requested != "" {
		return SlateChoice{ID: DefaultSlateID, Reason: fmt.Sprintf("slate %q not found: default used", requested)}
	}
	return SlateChoice{ID: DefaultSlateID, Reason: "default"}
}

// PutSlate installs (or replaces) the media of slate id, as variants at
// several resolutions, for the splicer.
func (o *Origin) PutSlate(id string, vs []*slate.Slate) { o.slates.put(id, vs) }

// HasSlate reports whether slate id has media the splicer can show.
func (o *Origin) HasSlate(id string) bool { return o.slates.has(id) }

// SlateVariant returns the variant of slate id nearest to width x height
// (the default slate when id has no media).
func (o *Origin) SlateVariant(id string, width, height int) *slate.Slate {
	return o.slates.variant(id, width, height)
}

// ChannelObserver learns what topic matching reads of a channel: the start
// of each live session and each title change. Its methods are called with
// the channel's lock held: they must not block or call into the channel
// except its lock-free getters (ID, Title).
type ChannelObserver interface {
	SessionStarted(ch *Channel)
	TitleChanged(ch *Channel, title string)
}

// SetChannelObserver installs the observer (the slate library). Call before
// ingest starts.
func (o *Origin) SetChannelObserver(obs ChannelObserver) { o.obs = obs }

func (o *Origin) noteSession(ch *Channel) {
	if o.obs != nil {
		o.obs.SessionStarted(ch)
	}
}

func (o *Origin) noteTitle(ch *Channel, title string) {
	if o.obs != nil {
		o.obs.TitleChanged(ch, title)
	}
}
