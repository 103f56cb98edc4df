package origin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"hlsorigin/segments"
)

// setInit installs a (new version of the) init segment. Called with ch.mu held.
func (r *Rendition) setInit(in *segments.Init) error {
	cur := r.inits[r.rec.InitVer]
	if cur != nil && bytes.Equal(cur.Raw, in.Raw) {
		r.reinit = true // same encoder settings, maybe restarted: timestamps decide
		r.forgetNames()
		return nil
	}
	ver := r.allocVer()
	if err := r.ch.o.store.PutInit(r.ch.rec.ID, r.name, ver, in.Raw); err != nil {
		return storageErr("store init", err)
	}
	r.inits[ver] = in
	r.rec.InitVer = ver
	if cur != nil {
		r.reinit, r.initDiff = true, true
		r.forgetNames()
	}
	if err := r.save(); err != nil {
		return err
	}
	r.drain(r.ch.o.cfg.Now())
	return nil
}

func (r *Rendition) save() error {
	b, err := json.Marshal(r.rec)
	if err != nil {
		return fmt.Errorf("encode rendition: %w", err)
	}
	if err := r.ch.o.store.PutRendition(r.ch.rec.ID, r.name, b); err != nil {
		return storageErr("save rendition", err)
	}
	return nil
}

// commit validates a media segment against the current init, applies any
// pause (host video in a pause is replaced before anything is stored),
// places the result on the timeline, stores it and republishes. hash is
// bodyHash(body) when the caller has it ("": computed here), so a body is
// hashed once. Called with ch.mu held.
func (r *Rendition) commit(name string, body []byte, hash string, at time.Time) error {
	in := r.inits[r.rec.InitVer]
	seg, err := segments.ParseSegment(body, in)
	if err != nil {
		return fmt.Errorf("segment %s: %w: %v", name, ErrBadMedia, err)
	}
	base, err := r.place(name, seg, at)
	if err != nil {
		return err
	}
	if hash == "" {
		hash = bodyHash(body)
	}
	base.Hash = hash
	parts, err := r.splice(in, seg, body, base.PDT, at, r.earliestStart(base, at))
	if err != nil {
		return err
	}
	if parts == nil {
		return r.store(base, body, at)
	}
	for i, p := range parts {
		info := base
		info.Kind, info.InitVer, info.Start, info.Duration = p.kind, p.initVer, p.start, p.duration
		info.Size, info.Frames = len(p.data), p.frames
		info.Disc = base.Disc && i == 0 || p.disc
		info.PDT = base.PDT.Add(time.Duration((p.start - base.Start) * float64(time.Second)))
		if i < len(parts)-1 {
			info.Hash = ""
		}
		if err := r.partTracks(&info, p); err != nil {
			return err
		}
		if err := r.store(info, p.data, at); err != nil {
			return err
		}
	}
	return nil
}

// place computes the timeline entry of a parsed segment: discontinuity,
// target duration, sequence number and program date time.
func (r *Rendition) place(name string, seg *segments.Segment, at time.Time) (SegmentInfo, error) {
	info := SegmentInfo{Seq: r.nextSeq, Name: name, InitVer: r.rec.InitVer, Start: seg.Start,
		Duration: seg.Duration, Size: seg.Size, Ends: map[uint32]uint64{}, Starts: map[uint32]uint64{}}
	for _, t := range seg.Tracks {
		info.Ends[t.TrackID] = t.BaseDecodeTime + t.Duration
		info.Starts[t.TrackID] = t.BaseDecodeTime
		if t.Kind == segments.KindVideo {
			// EXTINF follows the video track (as encoders write it): audio
			// frames straddle segment boundaries by a few ms either way.
			info.Frames = t.Samples
			if tr, ok := r.inits[r.rec.InitVer].Track(t.TrackID); ok && tr.Timescale > 0 {
				info.Duration = float64(t.Duration) / float64(tr.Timescale)
			}
		}
	}
	gap := r.afterGap() // after generated segments or an ended session: always a new discontinuity
	disc := gap
	if !gap {
		var err error
		if disc, err = r.discontinuity(seg); err != nil {
			return info, fmt.Errorf("segment %s: %w", name, err)
		}
	}
	if r.rec.Target == 0 {
		r.rec.Target = r.ch.targetFor(info.Duration)
	}
	if int(math.Round(info.Duration)) > r.rec.Target {
		return info, fmt.Errorf("segment %s lasts %.3fs, the rendition's target duration is %ds (fix the GOP or set -target-duration): %w",
			name, info.Duration, r.rec.Target, ErrTooLong)
	}
	info.Disc = disc
	info.PDT = r.ch.wallClock(r, seg, info.Disc, at)
	r.noteEncoderTime(seg, disc)
	if gap {
		info.PDT = r.notBeforeEnd(info.PDT)
	}
	return info, nil
}

// discontinuity decides whether seg starts a new discontinuity: after a
// changed init, or when timestamps jump after an init was PUT again
// (encoder restart). Timestamps going backwards otherwise are refused.
func (r *Rendition) discontinuity(seg *segments.Segment) (bool, error) {
	if len(r.segs) == 0 {
		return false, nil
	}
	last := r.segs[len(r.segs)-1]
	if r.initDiff || r.liveVer(last.InitVer) != r.rec.InitVer {
		return true, nil
	}
	for _, t := range seg.Tracks {
		if last.Kind == "slate" && t.Kind == segments.KindVideo {
			continue // the slate's video runs on the slate's timescale
		}
		end, ok := last.Ends[t.TrackID]
		if !ok {
			return true, nil
		}
		tr, _ := r.inits[r.rec.InitVer].Track(t.TrackID)
		tol := uint64(tr.Timescale) / 10 // 100 ms of rounding slack
		switch {
		case t.BaseDecodeTime+tol < end && r.reinit:
			return true, nil
		case t.BaseDecodeTime+tol < end:
			return false, fmt.Errorf("track %d timestamps go backwards (tfdt %d < previous end %d): %w",
				t.TrackID, t.BaseDecodeTime, end, ErrBadMedia)
		case t.BaseDecodeTime > end+uint64(r.rec.Target)*uint64(tr.Timescale):
			return true, nil // a gap longer than a target duration
		}
	}
	return false, nil
}

func (r *Rendition) lastDiscNum() uint64 {
	if len(r.segs) == 0 {
		return 0
	}
	return r.segs[len(r.segs)-1].DiscNum
}

// targetFor is the configured target duration, else the one of the
// channel's other renditions (RFC 8216 6.2.4: the media playlists of a
// variant share EXT-X-TARGETDURATION), else ceil(1.5 x d), >= 2.
func (ch *Channel) targetFor(d float64) int {
	if t := ch.o.cfg.TargetDuration; t > 0 {
		return t
	}
	if t := ch.sharedTarget(); t > 0 {
		return t
	}
	return max(2, int(math.Ceil(d*1.5)))
}

// wallClock gives the PROGRAM-DATE-TIME of seg. Within a discontinuity it
// follows media time exactly; at the start of one it uses the channel
// anchor when that agrees with the arrival time, else it re-anchors the
// channel on this segment (its arrival marks the end of its capture).
func (ch *Channel) wallClock(r *Rendition, seg *segments.Segment, disc bool, at time.Time) time.Time {
	if n := len(r.segs); n > 0 && !disc {
		last := r.segs[n-1]
		return last.PDT.Add(time.Duration((seg.Start - last.Start) * float64(time.Second)))
	}
	if seg.Prft != nil {
		return seg.Prft.UTC()
	}
	observed := at.Add(-time.Duration(seg.Duration * float64(time.Second)))
	if ch.anchor.set {
		predicted := ch.anchor.wallAt(seg.Start)
		slack := time.Duration(2*r.rec.Target+5) * time.Second
		if d := observed.Sub(predicted); d > -slack && d < slack {
			return predicted.UTC()
		}
	}
	ch.anchor = anchor{set: true, wall: observed, media: seg.Start}
	return observed.UTC()
}

// store writes the segment, then updates the timeline and republishes. A
// change of init segment is always a discontinuity. Called with ingestMu
// and mu held; mu is released while the bytes are written (see Channel).
func (r *Rendition) store(info SegmentInfo, body []byte, at time.Time) error {
	info.Seq, info.Arrived = r.nextSeq, at.UTC()
	if n := len(r.segs); n > 0 && r.segs[n-1].InitVer != info.InitVer {
		info.Disc = true
	}
	info.DiscNum = r.lastDiscNum()
	if info.Disc {
		info.DiscNum++
	}
	meta, err := json.Marshal(info)
	if err != nil {
		return fmt.Errorf("encode segment meta: %w", err)
	}
	data := append([]byte(nil), body...)
	id := r.ch.rec.ID
	err = func() error {
		r.ch.mu.Unlock()
		defer r.ch.mu.Lock() // also on a panic: the caller's deferred Unlock needs it held
		if f := r.ch.o.beforeSegmentWrite; f != nil {
			f()
		}
		return r.ch.o.store.PutSegment(id, r.name, info.Seq, info.PDT, meta, data)
	}()
	if err != nil {
		return storageErr(fmt.Sprintf("store segment %s", info.Name), err)
	}
	if len(r.segs) == 0 {
		if err := r.save(); err != nil {
			return err
		}
	}
	r.segs = append(r.segs, info)
	r.nextSeq = info.Seq + 1
	if n, ok := r.segNum(info.Name); ok {
		r.lastNum, r.hasNum = n, true
	}
	if info.Gen == "" {
		r.reinit, r.initDiff = false, false
	}
	r.putHot(info.Seq, data)
	r.ch.remember(info.Name, info.Hash)
	if info.Gen == "" {
		if r.ch.lastIngest.IsZero() || at.Sub(r.ch.lastIngest) >= r.ch.o.cfg.IdleAfter {
			r.ch.o.noteSession(r.ch) // a new live session: remember its title
		}
		r.ch.lastIngest = at
		r.ch.hostArrived(r, info.Name, at)
	}
	if h := r.ch.o.hooks.SegmentStored; h != nil {
		h(r.ch.rec.ID, r.name, info.Size, info.Duration)
	}
	return r.ch.publishLocked(r)
}

// remember keeps the last 256 committed names for idempotent re-PUTs.
func (ch *Channel) remember(name, hash string) {
	if _, ok := ch.recent[name]; !ok {
		ch.recentOrder = append(ch.recentOrder, name)
	}
	ch.recent[name] = hash
	if len(ch.recentOrder) > 256 {
		delete(ch.recent, ch.recentOrder[0])
		ch.recentOrder = ch.recentOrder[1:]
	}
}

// forgetNames drops r's recently committed names: after an init is PUT
// again the encoder restarted, and reuses its segment names for new media.
func (r *Rendition) forgetNames() {
	for name := range r.ch.recent {
		if r.ch.resolve(name) == r {
			delete(r.ch.recent, name)
		}
	}
}

// partTracks sets the per-track start and end of a spliced part from its
// own samples (the monotonic check and the MP4 export rely on them).
func (r *Rendition) partTracks(info *SegmentInfo, p part) error {
	seg, err := segments.ParseSegment(p.data, r.inits[p.initVer])
	if err != nil {
		return fmt.Errorf("spliced part does not parse: %w: %v", ErrBadMedia, err)
	}
	info.Starts, info.Ends = map[uint32]uint64{}, map[uint32]uint64{}
	for _, t := range seg.Tracks {
		info.Starts[t.TrackID] = t.BaseDecodeTime
		info.Ends[t.TrackID] = t.BaseDecodeTime + t.Duration
	}
	return nil
}
