package origin

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"hlsorigin/origin/store"
	"hlsorigin/slate"
	"hlsorigin/timeline"
)

// respliceBlocked re-splices every unlisted segment a pause blocks, as the
// live cut would have at its commit: the segment straddling the pause
// instant is split at the frame (host video before it stays), the rest
// becomes slate. A split adds a segment, so the unlisted tail is
// renumbered (none of it was listed or served) and written in one store
// batch: a crash leaves the old tail (still blocked, re-spliced at the
// next open) or the new one. A segment that cannot be re-spliced is
// withdrawn instead (fail closed). Called with ch.mu held.
func (r *Rendition) respliceBlocked() (bool, error) {
	from := r.listedIndex()
	tail, hides := r.storedFrom(from), r.ch.hides()
	var out []SegmentInfo
	var data [][]byte // nil: the bytes stored under the entry's current seq
	spliced := false
	for i, info := range r.segs[from:] {
		h, blocked := timeline.Blocked(tail[i], hides, hideMargin)
		if !blocked {
			out, data = append(out, info), append(data, nil)
			continue
		}
		parts, bs, err := r.resplice(info, r.ch.pauseByID(h.ID))
		if err != nil {
			r.ch.o.log.Warn("re-splice failed, segment withdrawn", "channel", r.ch.rec.ID, "rendition", r.name, "seq", info.Seq, "err", err)
			info.Withdrawn, info.Size, info.CutBy = true, 0, h.ID
			parts, bs = []SegmentInfo{info}, [][]byte{nil}
		}
		out, data = append(out, parts...), append(data, bs...)
		spliced = true
	}
	if !spliced {
		return false, nil
	}
	puts, err := r.renumber(from, out, data)
	if err != nil {
		return true, err
	}
	if err := r.ch.o.store.ReplaceSegments(r.ch.rec.ID, r.name, puts); err != nil {
		return true, storageErr(fmt.Sprintf("re-splice segments of %q", r.name), err)
	}
	r.segs = append(r.segs[:from], out...)
	r.nextSeq = out[len(out)-1].Seq + 1
	for j, s := range out {
		switch {
		case data[j] != nil:
			r.putHot(s.Seq, data[j])
		case s.Withdrawn:
			r.ch.o.forgetSegment(r, s.Seq)
		}
	}
	r.refreshGone()
	return true, nil
}

// renumber gives out (the new unlisted tail, replacing r.segs[from:])
// consecutive sequence numbers and its discontinuities, reads the bytes of
// moved entries and returns the store batch. r.segs is not changed.
func (r *Rendition) renumber(from int, out []SegmentInfo, data [][]byte) ([]store.SegmentPut, error) {
	first := r.segs[from].Seq
	prev := SegmentInfo{InitVer: out[0].InitVer}
	if from > 0 {
		prev = r.segs[from-1]
	}
	puts := make([]store.SegmentPut, 0, len(out))
	for j := range out {
		s := &out[j]
		if seq := first + uint64(j); seq != s.Seq {
			if data[j] == nil && !s.Withdrawn {
				b, err := r.storedBytes(s.Seq)
				if err != nil {
					return nil, err
				}
				data[j] = b
			}
			s.Seq = seq
		}
		s.Disc = s.Disc || (j+from > 0 && s.InitVer != prev.InitVer)
		s.DiscNum = prev.DiscNum
		if s.Disc {
			s.DiscNum++
		}
		meta, err := json.Marshal(*s)
		if err != nil {
			return nil, fmt.Errorf("encode segment meta: %w", err)
		}
		puts = append(puts, store.SegmentPut{Seq: s.Seq, Meta: meta, Data: data[j],
			Keep: data[j] == nil && !s.Withdrawn, At: s.PDT})
		prev = *s
	}
	return puts, nil
}

// resplice cuts a stored host segment for pause p as the live cut does at
// commit (cutFor, then the splicer), or slates it whole when that mapping
// cuts nothing although the arrival says the pause may hide some of it.
func (r *Rendition) resplice(info SegmentInfo, p *Pause) ([]SegmentInfo, [][]byte, error) {
	in := r.inits[info.InitVer]
	if p == nil || in == nil || info.InitVer != r.rec.InitVer {
		return nil, nil, fmt.Errorf("%w: segment %d under init %d (live init %d)", errNoResplice, info.Seq, info.InitVer, r.rec.InitVer)
	}
	v, _ := in.Video()
	body, err := r.storedBytes(info.Seq)
	if err != nil {
		return nil, nil, err
	}
	sl := r.ch.o.slates.variant(p.Slate.ID, v.Width, v.Height)
	cut := slate.Cut{PauseAt: math.Inf(-1), ResumeAt: math.Inf(1), Mute: p.Audio == "mute"}
	if from, to, q := r.ch.cutFor(info.Start, info.Duration, info.PDT, info.Arrived, info.PDT); q != nil && q.ID == p.ID {
		cut.PauseAt, cut.ResumeAt = from, to
	}
	if a, ok := in.Audio(); ok && cut.Mute {
		if cut.Silence, err = r.ch.o.silence(a.SampleRate, a.Channels); err != nil {
			return nil, nil, err
		}
	}
	out, err := slate.Splice(body, in.MP4, sl, cut)
	if err == nil && !hasSlate(out) {
		cut.PauseAt, cut.ResumeAt = math.Inf(-1), math.Inf(1)
		out, err = slate.Splice(body, in.MP4, sl, cut)
	}
	if err != nil || !hasSlate(out) {
		return nil, nil, fmt.Errorf("%w: segment %d: %d parts, %v", errNoResplice, info.Seq, len(out), err)
	}
	ver, err := r.slateInit(in, v.ID, sl, p.Audio)
	if err != nil {
		return nil, nil, err
	}
	return r.partsOf(info, out, ver, p.ID)
}

// partsOf turns splicer output into timeline entries, as commit does.
func (r *Rendition) partsOf(base SegmentInfo, out []slate.Part, slateVer uint32, pauseID string) ([]SegmentInfo, [][]byte, error) {
	infos := make([]SegmentInfo, 0, len(out))
	data := make([][]byte, 0, len(out))
	for i, o := range out {
		n := base
		n.Kind, n.InitVer = "", base.InitVer
		if o.Kind == slate.PartSlate {
			n.Kind, n.InitVer = "slate", slateVer
		}
		n.Start, n.Duration, n.Size, n.Frames, n.CutBy = o.Start, o.Duration, len(o.Data), o.VideoSamples, pauseID
		n.Disc = base.Disc && i == 0
		n.PDT = base.PDT.Add(time.Duration((o.Start - base.Start) * float64(time.Second)))
		if i < len(out)-1 {
			n.Hash = ""
		}
		if err := r.partTracks(&n, part{initVer: n.InitVer, data: o.Data}); err != nil {
			return nil, nil, err
		}
		infos, data = append(infos, n), append(data, o.Data)
	}
	return infos, data, nil
}

func hasSlate(out []slate.Part) bool {
	for _, o := range out {
		if o.Kind == slate.PartSlate {
			return true
		}
	}
	return false
}
