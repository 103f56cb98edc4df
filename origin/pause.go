package origin

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"hlsorigin/timeline"
)

// PauseRequest is what a host asks for.
type PauseRequest struct {
	At    *time.Time // pause earlier than now (never later): the instant is min(at, now)
	Slate string     // requested slate id (optional)
	Audio string     // "live" (default) or "mute"
	// PollOptions of this pause's audience poll (nil: the channel's),
	// validated and passed on by the PauseObserver.
	PollOptions []string
}

// SlatePicker chooses the slate of a pause (the slates feature installs a
// smarter one). It must not block.
type SlatePicker func(ch *Channel, requested string) SlateChoice

// PauseMargin is how much earlier than the mapped pause instant the cut is
// made: wall clock maps to media time from segment arrival, so when unsure
// cut earlier, never later.
const PauseMargin = 0.25

// DefaultResumeMargin is how much later than the mapped resume instant
// host video returns by default (Config.ResumeMargin). Arrival only bounds
// capture from above: the least pipeline latency seen recently is taken
// out (see earliestStart), but latency before the encoder stamps a frame
// is invisible to the origin, and frames captured before the resume could
// otherwise arrive after it. A few seconds more slate after "I'm back" is
// the price of never showing a paused moment.
const DefaultResumeMargin = 3 * time.Second

// Pause starts a pause. The state is durable (synced to disk) before it
// returns. A pause while paused changes nothing and returns the open one.
func (ch *Channel) Pause(req PauseRequest) (Pause, error) {
	if req.Audio == "" {
		req.Audio = "live"
	}
	if req.Audio != "live" && req.Audio != "mute" {
		return Pause{}, fmt.Errorf("audio %q: live or mute: %w", req.Audio, ErrInvalid)
	}
	var pollOpts []string
	if req.PollOptions != nil {
		var err error
		if pollOpts, err = ch.o.checkPauseOptions(req.PollOptions); err != nil {
			return Pause{}, err
		}
	}
	now := ch.o.cfg.Now().UTC()
	at := now
	if req.At != nil && req.At.Before(now) {
		at = req.At.UTC()
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if p := ch.openPause(); p != nil {
		return *p, nil
	}
	at = ch.pauseStart(at)
	p := Pause{ID: ch.pauseID(at), StartedAt: at, Audio: req.Audio, ReceivedAt: now}
	p.Slate = ch.o.pickSlate(ch, req.Slate)
	if m, ok := ch.mediaAt(at); ok {
		m -= PauseMargin
		p.StartMedia = &m
	}
	// The observer's records (the poll) are written first, so the pause's
	// fsync covers them.
	opened, pollErr := ch.pauseStarting(p, pollOpts)
	ch.planWithdrawLocked(&p)
	if err := ch.savePause(p); err != nil {
		return Pause{}, err
	}
	ch.pauses = append(ch.pauses, p)
	ch.applyWithdrawnLocked(p)
	ch.republishLocked()
	if p.Withdrawn != nil {
		ch.kickReconcile()
	}
	ch.Emit("paused", p)
	if pollErr != nil {
		p.PollError = pollErr.Error()
	} else if opened != nil {
		opened()
	}
	return p, nil
}

// Resume ends the open pause at max(at, now). Without an open pause it
// returns the last pause (or ErrConflict when there never was one).
func (ch *Channel) Resume(at *time.Time) (Pause, error) {
	now := ch.o.cfg.Now().UTC()
	end := now
	if at != nil && at.After(now) {
		end = at.UTC()
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	p := ch.openPause()
	if p == nil {
		if n := len(ch.pauses); n > 0 {
			return ch.pauses[n-1], nil
		}
		return Pause{}, fmt.Errorf("channel %s is not paused: %w", ch.rec.ID, ErrConflict)
	}
	upd := *p
	upd.EndedAt = &end
	if m, ok := ch.mediaAt(end); ok {
		upd.EndMedia = &m
	}
	// The observer ends first (the poll closes: its votes written, its
	// result recorded), so the pause's fsync covers the result too.
	ended := ch.pauseEnding(*p, end)
	if err := ch.savePause(upd); err != nil {
		return Pause{}, err
	}
	*p = upd
	ch.republishLocked()
	ch.Emit("resumed", upd)
	if ended != nil {
		ended()
	}
	return upd, nil
}

// Paused returns the open pause, if any.
func (ch *Channel) Paused() (Pause, bool) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if p := ch.openPause(); p != nil {
		return *p, true
	}
	return Pause{}, false
}

// Pauses returns every retained pause, oldest first.
func (ch *Channel) Pauses() []Pause {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return append([]Pause(nil), ch.pauses...)
}

func (ch *Channel) openPause() *Pause {
	if n := len(ch.pauses); n > 0 && ch.pauses[n-1].EndedAt == nil {
		return &ch.pauses[n-1]
	}
	return nil
}

// savePause writes the pause record and forces it to disk (fail closed).
func (ch *Channel) savePause(p Pause) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode pause: %w", err)
	}
	// durable: the record is fsynced with the meta DB before this returns.
	// The segment buckets are not synced here: under ingest load they hold
	// many MB of dirty pages and their fsync made a pause wait for it.
	if err := ch.o.store.PutRecord("p", []string{ch.rec.ID, p.ID}, b, true); err != nil {
		return storageErr("save pause", err)
	}
	return nil
}

// mediaAt maps a wall-clock instant to the channel's media time.
func (ch *Channel) mediaAt(t time.Time) (float64, bool) {
	if !ch.anchor.set {
		return 0, false
	}
	return ch.anchor.media + t.Sub(ch.anchor.wall).Seconds(), true
}

// cutFor returns the pause interval overlapping a segment, in the
// segment's own media time (seconds). Pauses are wall-clock intervals; each
// segment maps wall clock to media time through its program date time pdt,
// so the cut stays right across encoder restarts (media time starts over)
// and server restarts. When unsure, cut earlier and resume later: the
// pause maps through the latest plausible capture time of the segment's
// start (its program date time, or its arrival minus its duration when
// that is later, i.e. the encoder fell behind), minus PauseMargin; the
// resume maps through the earliest (see earliestStart), plus Config.ResumeMargin.
func (ch *Channel) cutFor(start, dur float64, pdt, arrived, earliest time.Time) (from, to float64, p *Pause) {
	late, early := timeline.CaptureBounds(dur, pdt, arrived, earliest)
	from, to, i := timeline.Cut(start, dur, late, early, ch.cutPauses(), PauseMargin, ch.o.cfg.ResumeMargin.Seconds())
	if i < 0 {
		return 0, 0, nil
	}
	return from, to, &ch.pauses[i]
}

// cutPauses are the channel's pauses as the cut sees them. Called with
// ch.mu held.
func (ch *Channel) cutPauses() []timeline.Pause {
	ps := make([]timeline.Pause, len(ch.pauses))
	for i, q := range ch.pauses {
		ps[i] = timeline.Pause{Start: q.StartedAt, End: q.EndedAt, Slate: q.Slate.ID}
	}
	return ps
}

// republishLocked re-renders every rendition (date ranges changed).
func (ch *Channel) republishLocked() {
	for _, r := range ch.rends {
		if r.published() {
			if err := ch.publishLocked(r); err != nil {
				ch.o.log.Error("republish", "channel", ch.rec.ID, "rendition", r.name, "err", err)
			}
		}
	}
}

// lagWindow is how many recent segments earliestStart looks back over.
const lagWindow = 30

// earliestStart estimates the earliest plausible capture time of an
// incoming segment's start. Its program date time was anchored on the
// arrival of an earlier segment, so it is late by the pipeline latency of
// that moment (often large: an encoder starting up). Each arrival bounds
// the latency of its own segment from above, so the smallest lag of arrival
// behind the program date time over recent segments of this discontinuity
// says how much earlier capture may have been. Called with ch.mu held.
func (r *Rendition) earliestStart(info SegmentInfo, arrived time.Time) time.Time {
	lag := arrived.Sub(info.PDT).Seconds() - info.Duration
	if info.Disc || len(r.segs) == 0 {
		r.lags = r.lags[:0]
	}
	r.lags = append(r.lags, lag)
	if len(r.lags) > lagWindow {
		r.lags = append(r.lags[:0], r.lags[len(r.lags)-lagWindow:]...)
	}
	least := math.Min(lag, 0)
	for _, l := range r.lags {
		least = math.Min(least, l)
	}
	return info.PDT.Add(time.Duration(least * float64(time.Second)))
}
