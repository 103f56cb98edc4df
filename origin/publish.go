package origin

import (
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strings"
	"time"

	"hlsorigin/manifest"
	"hlsorigin/segments"
)

// Published is an immutable rendered playlist. Body is never mutated after
// it is published, so handlers may send it without copying.
type Published struct {
	Body    []byte
	ETag    string
	Updated time.Time
	// Target is the target duration of a media playlist (0 for a multivariant).
	Target int
}

func newPublished(body []byte, target int, now time.Time) *Published {
	h := fnv.New64a()
	h.Write(body)
	return &Published{Body: body, ETag: fmt.Sprintf(`"%016x"`, h.Sum64()), Updated: now, Target: target}
}

// SegmentURI and InitURI are the URIs used inside media playlists, relative
// to the media playlist URL /live/{channel}/{rendition}/index.m3u8.
func SegmentURI(seq uint64) string     { return fmt.Sprintf("%d.m4s", seq) }
func InitURI(ver uint32) string        { return fmt.Sprintf("init-%d.mp4", ver) }
func MediaURI(rendition string) string { return rendition + "/index.m3u8" }

// publishLocked renders r's live media playlist and the channel's
// multivariant. Called with ch.mu held.
func (ch *Channel) publishLocked(r *Rendition) error {
	now := ch.o.cfg.Now()
	if r.advanceListed(now) == 0 {
		return nil // nothing due yet: no playlist until the first segment is
	}
	body, err := manifest.RenderMedia(r.liveModel(ch.dateRanges()))
	if err != nil {
		return fmt.Errorf("render %s: %w", r.name, err)
	}
	r.media.Store(newPublished(body, r.rec.Target, now))
	r.updateInfo()
	return ch.publishMultivariantLocked(now)
}

func (ch *Channel) dateRanges() []manifest.DateRange { return pauseRanges(ch) }

// liveModel builds the media playlist model of the current live window.
func (r *Rendition) liveModel(ranges []manifest.DateRange) manifest.Media {
	listed := r.segs[:r.listedIndex()]
	all := make([]manifest.Segment, len(listed))
	for i, s := range listed {
		all[i] = manifest.Segment{Seq: s.Seq, URI: SegmentURI(s.Seq), Duration: s.Duration,
			Discontinuity: s.Disc, MapURI: InitURI(s.InitVer), PDT: s.PDT, Gap: s.Withdrawn}
	}
	win := manifest.WindowFor(all, r.rec.Target, r.ch.o.cfg.MinWindowSegments, r.ch.o.cfg.WindowFactor)
	m := manifest.Media{TargetDuration: r.rec.Target, Segments: win, Ended: r.ch.sessionEnded()}
	if len(win) > 0 {
		first := listed[len(listed)-len(win)]
		m.MediaSequence = first.Seq
		m.DiscontinuitySeq = first.DiscNum
		if first.Disc {
			m.DiscontinuitySeq--
		}
		m.DateRanges = rangesWithin(ranges, win[0].PDT)
	}
	return m
}

// rangesWithin keeps date ranges that end after from (or are open).
func rangesWithin(rs []manifest.DateRange, from time.Time) []manifest.DateRange {
	var out []manifest.DateRange
	for _, d := range rs {
		if d.End == nil || d.End.After(from) {
			out = append(out, d)
		}
	}
	return out
}

// updateInfo refreshes the lock-free summary of r. Called with ch.mu held.
func (r *Rendition) updateInfo() {
	in := r.inits[r.rec.InitVer]
	if in == nil {
		return
	}
	info := RenditionInfo{Name: r.name, TargetDuration: r.rec.Target, Segments: len(r.segs)}
	var codecs []string
	if v, ok := in.Video(); ok {
		info.Kind, info.Width, info.Height = "video", v.Width, v.Height
		codecs = append(codecs, v.Codec)
		usable := r.ch.o.usableSlates(r.ch)
		info.SlateCodecs = r.slateCodecsOf(v.Width, v.Height, usable)
		r.ch.o.slates.ensureSizes(v.Width, v.Height, usable)
	}
	if a, ok := in.Audio(); ok {
		if info.Kind == "" {
			info.Kind = "audio"
		}
		info.HasAudio, info.AudioCodec, info.Channels = true, a.Codec, a.Channels
		codecs = append(codecs, a.Codec)
	}
	info.Codecs = strings.Join(codecs, ",")
	r.measure(&info)
	r.info.Store(&info)
}

// measure sets bandwidth and average bandwidth (advertised, see
// advertised: stable across segments) and frame rate.
func (r *Rendition) measure(info *RenditionInfo) {
	if !r.bw.set {
		r.replayAdvertised()
	}
	n := min(len(r.segs), measureWindow)
	peak, avg, secs, frames := windowRate(r.segs[len(r.segs)-n:])
	switch {
	case secs > 0:
		info.Bandwidth, info.AverageBandwidth = r.bw.update(r.rec.InitVer, uint32(peak), uint32(avg), r.ch.rec.Declared[r.name])
	case r.bw.set:
		info.Bandwidth, info.AverageBandwidth = r.bw.peak, r.bw.avg
	}
	if info.Kind == "video" {
		info.FrameRate = r.Info().FrameRate // kept through a slate and measurement noise
		if fr := math.Round(frames/max(secs, 1e-9)*1000) / 1000; secs > 0 && math.Abs(fr-info.FrameRate) >= 0.5 {
			info.FrameRate = fr
		}
	} else if prev := r.info.Load(); prev != nil { // nothing measurable (all withdrawn): keep
		info.AverageBandwidth, info.FrameRate = prev.AverageBandwidth, prev.FrameRate
	}
	if n > 0 {
		info.LastSeq = r.segs[len(r.segs)-1].Seq
	}
}

// MultivariantModel is the model of the live multivariant playlist.
func (ch *Channel) MultivariantModel() manifest.Multivariant {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.multivariantModelLocked()
}

// multivariantModelLocked builds the multivariant from the renditions that
// have media. Audio-only renditions become an AUDIO group used by the
// video-only variants. Called with ch.mu held.
func (ch *Channel) multivariantModelLocked() manifest.Multivariant {
	var video, audio []RenditionInfo
	for _, r := range ch.rends {
		if !r.published() {
			continue
		}
		if info := r.Info(); info.Kind == "video" {
			video = append(video, info)
		} else if info.Kind == "audio" {
			audio = append(audio, info)
		}
	}
	return multivariantModel(video, audio)
}

// publishMultivariantLocked renders the multivariant. Called with ch.mu held.
func (ch *Channel) publishMultivariantLocked(now time.Time) error {
	m := ch.multivariantModelLocked()
	body, err := manifest.RenderMultivariant(m)
	if err != nil {
		return fmt.Errorf("render multivariant: %w", err)
	}
	if cur := ch.multivariant.Load(); cur != nil && string(cur.Body) == string(body) {
		return nil
	}
	ch.multivariant.Store(newPublished(body, 0, now))
	return nil
}

const audioGroup = "aud"

func multivariantModel(video, audio []RenditionInfo) manifest.Multivariant {
	// Highest bandwidth first; equal ones (an encoder may declare the same
	// for every variant) by resolution, then name, so the order is the same
	// at every render and across restarts.
	sort.Slice(video, func(i, j int) bool {
		a, b := video[i], video[j]
		if a.Bandwidth != b.Bandwidth {
			return a.Bandwidth > b.Bandwidth
		}
		if a.Width*a.Height != b.Width*b.Height {
			return a.Width*a.Height > b.Width*b.Height
		}
		return a.Name < b.Name
	})
	sort.Slice(audio, func(i, j int) bool { return audio[i].Name < audio[j].Name })
	var m manifest.Multivariant
	if len(video) == 0 { // audio-only channel
		for _, a := range audio {
			m.Variants = append(m.Variants, manifest.Variant{URI: MediaURI(a.Name), Bandwidth: a.Bandwidth,
				AverageBandwidth: a.AverageBandwidth, Codecs: a.Codecs})
		}
		return m
	}
	var aBW, aAvg uint32
	for i, a := range audio {
		m.Renditions = append(m.Renditions, manifest.Rendition{Type: "AUDIO", GroupID: audioGroup, Name: a.Name,
			URI: MediaURI(a.Name), Default: i == 0, AutoSelect: true, Channels: channelsAttr(a.Channels)})
		aBW, aAvg = max(aBW, a.Bandwidth), max(aAvg, a.AverageBandwidth)
	}
	for _, v := range video {
		vr := manifest.Variant{URI: MediaURI(v.Name), Bandwidth: v.Bandwidth, AverageBandwidth: v.AverageBandwidth,
			Codecs: variantCodecs(v.Codecs, v.SlateCodecs), Width: v.Width, Height: v.Height, FrameRate: v.FrameRate}
		if !v.HasAudio && len(audio) > 0 {
			vr.Audio = audioGroup
			vr.Bandwidth += aBW
			vr.AverageBandwidth += aAvg
			vr.Codecs += "," + audio[0].Codecs
		}
		m.Variants = append(m.Variants, vr)
	}
	m.Independent = true
	return m
}

func channelsAttr(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprint(n)
}

var _ = segments.KindVideo
