package origin

import (
	"context"
	"fmt"
	"time"

	"hlsorigin/fixtures"
	"hlsorigin/slate"
	"hlsorigin/timeline"
)

// The origin owns the output clock (DESIGN invariant 7): viewers'
// playlists advance whether or not the encoder sends. A per-origin ticker
// calls Tick every Config.ClockInterval; for each channel it hands the
// ends of the renditions' timelines, the last arrival of host media, the
// pauses and the encoder's end request to timeline.Decide and applies the
// plan: generated segments (slate video and silent audio, see
// generate.go) appended to every rendition, the session's end (every live
// media playlist gets EXT-X-ENDLIST), state changes and their events.

// clockState is a channel's output-clock bookkeeping. Guarded by ch.mu.
type clockState struct {
	lastHost time.Time         // arrival of the last host segment (zero: none since the origin started)
	lead     time.Duration     // its program date time end minus its arrival (>= 0), see timeline.Input.Lead
	lost     bool              // input loss reported (event "input_lost" sent)
	endReq   time.Time         // when the encoder first said it ended
	encEnded map[string]bool   // renditions whose ingest playlist ended (EXT-X-ENDLIST or DELETE)
	endWait  map[string]string // rendition -> last segment of its ended playlist, not committed yet
}

// Event types of the output clock.
const (
	EventInputLost     = "input_lost"     // no host media: the reconnecting (or pause) slate is generated
	EventInputRestored = "input_restored" // host media arrives again
	EventEnded         = "ended"          // the session ended: EXT-X-ENDLIST
	EventStarted       = "started"        // a new session after an ended one
)

// runClock ticks until ctx ends.
func (o *Origin) runClock(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(o.cfg.ClockInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			o.Tick()
		}
	}
}

// Tick runs the output clock once for every channel at Config.Now().
func (o *Origin) Tick() {
	for _, id := range o.Channels() {
		if ch, err := o.Channel(id); err == nil {
			ch.tick(false)
		}
	}
}

// tick applies the clock's plan. Unless wait, a channel whose ingest is
// busy is skipped (host media is arriving: nothing to generate).
func (ch *Channel) tick(wait bool) {
	if wait {
		ch.ingestMu.Lock()
	} else if !ch.ingestMu.TryLock() {
		return
	}
	defer ch.ingestMu.Unlock()
	ch.mu.Lock()
	defer ch.mu.Unlock()
	now := ch.o.cfg.Now()
	// Segments held for a missing predecessor are committed as soon as
	// their hold expires (the predecessor is lost), not at the next
	// ingest or maintenance: after an encoder's last segments nothing
	// else would come.
	ch.drainPendingLocked(now)
	p := timeline.Decide(ch.clockInput(now))
	ch.applyPlan(p, now)
}

// clockInput gathers what timeline.Decide needs. Called with ch.mu held.
func (ch *Channel) clockInput(now time.Time) timeline.Input {
	in := timeline.Input{Now: now, LastHost: ch.clk.lastHost, Lead: ch.clk.lead, EndRequested: ch.clk.endReq, Ended: !ch.rec.EndedAt.IsZero(),
		Config: timeline.Config{InputLossAfter: ch.o.cfg.InputLossAfter, EndAfter: max(ch.o.cfg.EndAfter, 0)}}
	for _, p := range ch.pauses {
		in.Pauses = append(in.Pauses, timeline.Pause{Start: p.StartedAt, End: p.EndedAt, Slate: p.Slate.ID})
	}
	for _, r := range ch.rends {
		if n := len(r.segs); n > 0 && r.published() && r.inits[r.rec.InitVer] != nil {
			last := r.segs[n-1]
			in.Renditions = append(in.Renditions, timeline.Rendition{Name: r.name, End: last.PDT.Add(secs(last.Duration)),
				MediaEnd: last.Start + last.Duration, Usual: r.usualDuration(), Target: r.rec.Target, Slate: last.Gen,
				EncoderEnded: ch.clk.encEnded[r.name]})
		}
	}
	return in
}

// usualDuration is the median duration of r's last host segments.
func (r *Rendition) usualDuration() float64 {
	var d []float64
	for i := len(r.segs) - 1; i >= 0 && len(d) < 5 && i >= len(r.segs)-64; i-- {
		if s := r.segs[i]; s.Gen == "" && s.Kind == "" {
			d = append(d, s.Duration)
		}
	}
	return timeline.Usual(d)
}

// applyPlan carries out a plan. Called with ingestMu and mu held.
func (ch *Channel) applyPlan(p timeline.Plan, now time.Time) {
	if p.Lost && !ch.clk.lost && ch.rec.EndedAt.IsZero() {
		ch.clk.lost = true
		ch.o.log.Info("input lost", "channel", ch.rec.ID, "last_segment", ch.clk.lastHost)
		ch.clockEvent(EventInputLost, map[string]any{"last_segment_at": ch.clk.lastHost.UTC()})
	}
	if p.End {
		ch.endSession(p.EndReason, now)
		return
	}
	for name, segs := range p.Generate {
		r := ch.rends[name]
		for _, g := range segs {
			if err := r.generate(g, now); err != nil {
				ch.o.log.Error("generate segment", "channel", ch.rec.ID, "rendition", name, "err", err)
				break
			}
			if h := ch.o.hooks.SegmentGenerated; h != nil {
				h(ch.rec.ID, name)
			}
		}
	}
}

// hostArrived notes host media committed to rendition r under an ingest
// name: the input is back, and an ended session starts again. Called with
// mu held.
func (ch *Channel) hostArrived(r *Rendition, name string, at time.Time) {
	ch.clk.lastHost = at
	if n := len(r.segs); n > 0 {
		end := r.segs[n-1].PDT.Add(secs(r.segs[n-1].Duration))
		ch.clk.lead = max(end.Sub(at), 0)
	}
	if w, ok := ch.clk.endWait[r.name]; ok && w == name {
		delete(ch.clk.endWait, r.name)
		ch.encoderEnded(r.name, at) // the last segment of an ended playlist
	}
	if ch.clk.lost {
		ch.clk.lost = false
		ch.clockEvent(EventInputRestored, map[string]any{"at": at.UTC()})
	}
	if !ch.rec.EndedAt.IsZero() {
		ch.rec.EndedAt = time.Time{}
		ch.clk.encEnded, ch.clk.endWait, ch.clk.endReq = nil, nil, time.Time{}
		if err := ch.saveLocked(); err != nil {
			ch.o.log.Error("start session", "channel", ch.rec.ID, "err", err)
		}
		ch.republishLocked() // every playlist drops EXT-X-ENDLIST
		ch.clockEvent(EventStarted, map[string]any{"at": at.UTC()})
	}
}

// clockEvent emits an event and feeds the hook.
func (ch *Channel) clockEvent(typ string, data any) {
	ch.Emit(typ, data)
	if h := ch.o.hooks.ClockEvent; h != nil {
		h(ch.rec.ID, typ)
	}
}

// stateLocked is the channel's state. Called with mu held.
func (ch *Channel) stateLocked() timeline.State {
	switch {
	case !ch.rec.EndedAt.IsZero():
		return timeline.Ended
	case ch.openPause() != nil:
		return timeline.Paused
	case ch.clk.lost:
		return timeline.Reconnecting
	case ch.clk.lastHost.IsZero():
		return timeline.Idle
	}
	return timeline.Live
}

// InputLost reports whether the origin is generating segments because
// host media stopped (also while paused).
func (ch *Channel) InputLost() bool {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.clk.lost
}

// sessionEnded reports whether live playlists carry EXT-X-ENDLIST.
func (ch *Channel) sessionEnded() bool { return !ch.rec.EndedAt.IsZero() }

// afterGap reports whether the next host segment of r starts a new
// discontinuity whatever its timestamps: after generated segments or an
// ended session. Called with mu held.
func (r *Rendition) afterGap() bool {
	n := len(r.segs)
	return n > 0 && (r.segs[n-1].Gen != "" || r.ch.sessionEnded())
}

// notBeforeEnd returns pdt, or the end of r's last segment when that is
// later: generated segments ran up to now, and host media that returns
// does not go back before their end (PROGRAM-DATE-TIME continuous).
func (r *Rendition) notBeforeEnd(pdt time.Time) time.Time {
	if n := len(r.segs); n > 0 {
		if end := r.segs[n-1].PDT.Add(secs(r.segs[n-1].Duration)); pdt.Before(end) {
			return end
		}
	}
	return pdt
}

// addReconnecting loads the bundled reconnecting slate at every height.
func (s *slateSet) addReconnecting() error {
	var vs []*slate.Slate
	for _, h := range fixtures.SlateHeights() {
		file, err := fixtures.ReconnectingSlate(h)
		if err != nil {
			return err
		}
		sl, err := slate.Load(fmt.Sprintf("%s_%d", timeline.ReconnectingSlate, h), file)
		if err != nil {
			return fmt.Errorf("reconnecting slate %dp: %w", h, err)
		}
		vs = append(vs, sl)
	}
	s.put(timeline.ReconnectingSlate, vs)
	return nil
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
