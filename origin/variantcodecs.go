package origin

import (
	"sort"
	"strings"
	"sync"

	"hlsorigin/manifest"
	"hlsorigin/slate"
)

// slateCodec caches each loaded slate variant's codec string.
var slateCodec sync.Map // *slate.Slate -> string

func codecOfSlate(sl *slate.Slate) string {
	if c, ok := slateCodec.Load(sl); ok {
		return c.(string)
	}
	c := sl.Codec()
	slateCodec.Store(sl, c)
	return c
}

// codecsNear returns the codec of the variant of every slate in usable
// (nil: every slate) that a video rendition of width x height would splice
// in (slate.Nearest), sorted and without repeats.
func (s *slateSet) codecsNear(width, height int, usable map[string]bool) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	seen := map[string]bool{}
	var out []string
	for id, vs := range s.byID {
		if usable != nil && !usable[id] {
			continue
		}
		if sl := slate.Nearest(vs, width, height); sl != nil {
			if c := codecOfSlate(sl); c != "" && !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	sort.Strings(out)
	return out
}

// slateCodecsOf lists the video codecs a video rendition may serve besides
// its own: every slate its channel may show (the presets and its own
// approved uploads: another channel's upload changes nothing here) that it
// would splice in, and the slate inits it already built (a slate since
// removed from the library). Called with ch.mu held (lock order: ch.mu,
// then the library's, then the slate set's).
func (r *Rendition) slateCodecsOf(width, height int, usable map[string]bool) []string {
	out := r.ch.o.slates.codecsNear(width, height, usable)
	for ver, live := range r.rec.LiveOf {
		if in := r.inits[ver]; in != nil && live == r.rec.InitVer {
			if v, ok := in.Video(); ok && v.Codec != "" {
				out = append(out, v.Codec)
			}
		}
	}
	return out
}

// variantCodecs is a video variant's CODECS: its own codecs with the video
// entry raised to cover every slate it may serve (manifest.CoverAVC), so
// that CODECS identifies the media of every segment, slate segments
// included. Codecs that cannot be combined are left as they are.
func variantCodecs(own string, slates []string) string {
	parts := strings.Split(own, ",")
	for i, p := range parts {
		if c, ok := manifest.CoverAVC(append([]string{p}, slates...)...); ok {
			parts[i] = c
			break
		}
	}
	return strings.Join(parts, ",")
}

// SlateCatalog tells which slates a channel may show: the default, the
// presets and its own approved uploads (the slate library installs one).
// Called with the channel's lock held: it must not call into the channel
// except its lock-free getters (ID, Title).
type SlateCatalog interface {
	UsableSlates(ch *Channel) map[string]bool
}

// SetSlateCatalog installs the catalogue. Call before ingest starts.
func (o *Origin) SetSlateCatalog(c SlateCatalog) { o.catalog = c }

// usableSlates lists the slates ch may show (nil without a catalogue:
// every slate).
func (o *Origin) usableSlates(ch *Channel) map[string]bool {
	if o.catalog == nil {
		return nil
	}
	return o.catalog.UsableSlates(ch)
}
