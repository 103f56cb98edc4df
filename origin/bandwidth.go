package origin

import (
	"math"
	"strings"

	"hlsorigin/manifest"
)

// BandwidthGrowth is how far the measured peak bitrate of a rendition may
// exceed its advertised BANDWIDTH before the multivariant is updated.
const BandwidthGrowth = 1.5

// advertised is the BANDWIDTH and AVERAGE-BANDWIDTH a rendition shows in
// the multivariant. They are set once per session (the encoder's declared
// values when its multivariant says them, else the first measured ones)
// and changed only on a real change: a new live init, or a measured peak
// above BandwidthGrowth x the advertised value. A multivariant rewritten
// at every segment makes every player and CDN edge refetch it for nothing.
type advertised struct {
	set      bool
	initVer  uint32
	declared bool
	peak     uint32
	avg      uint32
}

// update applies one measurement (peak and average over the recent
// window) and returns the advertised values. decl is the encoder's
// declared BANDWIDTH for this rendition (0: none).
func (a *advertised) update(initVer, peak, avg, decl uint32) (uint32, uint32) {
	switch {
	case !a.set || a.initVer != initVer:
		*a = advertised{set: true, initVer: initVer, peak: peak, avg: avg}
		if decl > 0 {
			a.declared, a.peak, a.avg = true, decl, min(avg, decl)
		}
	case decl > 0 && !a.declared:
		a.declared, a.peak, a.avg = true, decl, min(a.avg, decl)
	case float64(peak) > BandwidthGrowth*float64(a.peak):
		a.peak, a.avg = peak, max(a.avg, avg)
	}
	if a.avg == 0 {
		a.avg = min(avg, a.peak)
	}
	return a.peak, a.avg
}

// declaredBandwidth reads the encoder's multivariant: the BANDWIDTH of each
// variant by rendition name (its URI's stem). A video variant that uses an
// audio group declares the video and the audio together (RFC 8216 4.3.4.2:
// BANDWIDTH covers "all media segments ... including audio renditions"), so
// the audio group's own declared bandwidth is taken off: the multivariant
// adds the audio back.
func declaredBandwidth(m *manifest.IngestMaster) map[string]uint32 {
	group := map[string]string{} // audio group -> its rendition's stem
	for _, r := range m.Media {
		if r.Type == "AUDIO" && r.URI != "" {
			group[r.GroupID] = stemOf(r.URI)
		}
	}
	out := map[string]uint32{}
	for _, v := range m.Variants {
		if v.Bandwidth > 0 && v.Bandwidth <= math.MaxUint32 {
			out[stemOf(v.URI)] = uint32(v.Bandwidth)
		}
	}
	for _, v := range m.Variants {
		a := out[group[v.Audio]]
		if s := stemOf(v.URI); v.Audio != "" && group[v.Audio] != s && a > 0 && out[s] > a {
			out[s] -= a
		}
	}
	return out
}

func stemOf(uri string) string { return strings.TrimSuffix(uri, ".m3u8") }

// learnDeclared records the encoder's declared bandwidths and republishes
// the multivariant when they change what it advertises. Called with ch.mu held.
func (ch *Channel) learnDeclared(m *manifest.IngestMaster) {
	d := declaredBandwidth(m)
	if len(d) == 0 {
		return
	}
	if equalDeclared(ch.rec.Declared, d) {
		return
	}
	ch.rec.Declared = d
	if err := ch.saveLocked(); err != nil {
		ch.o.log.Warn("save declared bandwidth", "channel", ch.rec.ID, "err", err)
	}
	for _, r := range ch.rends {
		if r.published() {
			r.updateInfo()
		}
	}
	_ = ch.publishMultivariantLocked(ch.o.cfg.Now())
}

func equalDeclared(a, b map[string]uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// windowRate is the peak and average bitrate and the frame count of the
// live (non-slate) segments of a measurement window.
func windowRate(win []SegmentInfo) (peak, avg, secs, frames float64) {
	var bits float64
	for _, s := range win {
		if s.Duration <= 0 || s.Kind != "" || s.Withdrawn { // slate segments say nothing of the encoder; withdrawn ones are not served
			continue
		}
		bits += float64(s.Size * 8)
		secs += s.Duration
		peak = math.Max(peak, float64(s.Size*8)/s.Duration)
		frames += float64(s.Frames)
	}
	if secs > 0 {
		avg = bits / secs
	}
	return peak, avg, secs, frames
}

// measureWindow is how many recent segments a measurement covers.
const measureWindow = 8

// replayAdvertised rebuilds the advertised values after a restart by
// applying every retained segment's measurement in order, as ingest did:
// the multivariant is the same before and after a restart.
func (r *Rendition) replayAdvertised() {
	for i := range r.segs[:max(len(r.segs)-1, 0)] {
		win := r.segs[max(0, i+1-measureWindow) : i+1]
		if peak, avg, secs, _ := windowRate(win); secs > 0 {
			r.bw.update(r.liveVer(r.segs[i].InitVer), uint32(peak), uint32(avg), r.ch.rec.Declared[r.name])
		}
	}
}
