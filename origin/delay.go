package origin

import (
	"fmt"
	"sort"
	"time"

	"hlsorigin/timeline"
)

// Publish delay: segments are stored on arrival and listed in the live
// playlist the channel's publish delay later. A segment not listed yet is
// not served at its URL either (404, short cache), so a pause whose "at"
// falls in that window can still hide everything from "at" before anyone
// saw it (see withdraw.go).

// MaxPublishDelay bounds a channel's publish delay.
const MaxPublishDelay = time.Hour

// PublishDelay is the channel's delay between arrival and listing.
func (ch *Channel) PublishDelay() time.Duration {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.delayLocked()
}

func (ch *Channel) delayLocked() time.Duration {
	if ch.rec.PublishDelayMS != nil {
		return time.Duration(*ch.rec.PublishDelayMS) * time.Millisecond
	}
	return ch.o.cfg.PublishDelay
}

// SetPublishDelay changes and persists the channel's publish delay. A
// shorter delay lists what became due at once; a longer one never takes
// back what is listed.
func (ch *Channel) SetPublishDelay(d time.Duration) error {
	if d < 0 || d > MaxPublishDelay || d >= ch.o.cfg.Retention {
		return fmt.Errorf("publish delay %s: 0 to %s, shorter than the retention (%s): %w", d, MaxPublishDelay, ch.o.cfg.Retention, ErrInvalid)
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if d > ch.delayLocked() {
		for _, r := range ch.rends {
			if err := r.saveListed(); err != nil {
				return err
			}
		}
	}
	prev := ch.rec.PublishDelayMS
	ms := d.Milliseconds()
	ch.rec.PublishDelayMS = &ms
	if err := ch.saveLocked(); err != nil {
		ch.rec.PublishDelayMS = prev
		return err
	}
	ch.publishDueLocked()
	return nil
}

// saveListed persists the listing frontier (before the delay grows: the
// segments listed under the shorter one are due later under the new one,
// and a restart must not take them back). Called with ch.mu held.
func (r *Rendition) saveListed() error {
	if r.rec.Listed >= r.listed {
		return nil
	}
	r.rec.Listed = r.listed
	return r.save()
}

// stored is the timeline view of r's segments. Called with ch.mu held.
func (r *Rendition) stored() []timeline.Stored { return r.storedFrom(0) }

// storedFrom is the timeline view of r.segs[from:] (the unlisted tail is
// short: listing never looks at the archive). Called with ch.mu held.
func (r *Rendition) storedFrom(from int) []timeline.Stored {
	_, video := r.hasVideo()
	out := make([]timeline.Stored, len(r.segs)-from)
	for i, s := range r.segs[from:] {
		out[i] = timeline.Stored{Seq: s.Seq, PDT: s.PDT, Arrived: s.Arrived, Host: video && s.Kind == "",
			Duration: time.Duration(s.Duration * float64(time.Second)), Withdrawn: s.Withdrawn, CutBy: s.CutBy}
	}
	return out
}

func (r *Rendition) hasVideo() (uint32, bool) {
	in := r.inits[r.rec.InitVer]
	if in == nil {
		return 0, false
	}
	v, ok := in.Video()
	return v.ID, ok
}

// hides is the channel's pauses as hide intervals. Called with ch.mu held.
func (ch *Channel) hides() []timeline.Hide {
	out := make([]timeline.Hide, len(ch.pauses))
	for i, p := range ch.pauses {
		out[i] = timeline.Hide{ID: p.ID, At: p.StartedAt, End: p.EndedAt, Received: p.ReceivedAt}
	}
	return out
}

// hideMargin widens what a pause hides of stored segments. None is
// needed: a segment's media was captured before it arrived, and the
// decisions map it through its latest plausible span, which ends at its
// arrival.
const hideMargin = 0

// listedIndex is how many entries of r.segs are listed. Called with ch.mu held.
func (r *Rendition) listedIndex() int {
	return sort.Search(len(r.segs), func(i int) bool { return r.segs[i].Seq >= r.listed })
}

// advanceListed lists the segments due at now (never fewer than before)
// and returns how many entries are listed. A due segment that a pause
// blocks (stored before the pause was known) waits for its re-splice,
// which this starts. Called with ch.mu held.
func (r *Rendition) advanceListed(now time.Time) int {
	i := r.listedIndex()
	tail, hides := r.storedFrom(i), r.ch.hides()
	k := timeline.Listable(tail, 0, r.ch.delayLocked(), now, hides, hideMargin)
	if k > 0 {
		r.listed = r.segs[i+k-1].Seq + 1
		r.listedA.Store(r.listed)
	}
	if k < len(tail) {
		if _, blocked := timeline.Blocked(tail[k], hides, hideMargin); blocked {
			r.ch.kickReconcile()
		}
	}
	r.ch.scheduleDueLocked(now)
	return i + k
}

// scheduleDueLocked arms the channel's timer for the next segment to
// become due. Called with ch.mu held.
func (ch *Channel) scheduleDueLocked(now time.Time) {
	delay := ch.delayLocked()
	if delay <= 0 || ch.delayStopped {
		return
	}
	var next time.Time
	for _, r := range ch.rends {
		i := r.listedIndex()
		if due, ok := timeline.NextDue(r.storedFrom(i), 0, delay); ok && (next.IsZero() || due.Before(next)) {
			next = due
		}
	}
	if next.IsZero() || (!ch.dueAt.IsZero() && !ch.dueAt.After(next) && ch.dueAt.After(now)) {
		return
	}
	ch.dueAt = next
	wait := min(max(next.Sub(now), 10*time.Millisecond), delay+time.Second)
	if !next.After(now) {
		// Due but blocked: its re-splice republishes; this is a backstop.
		wait = time.Second
	}
	if ch.dueTimer != nil {
		ch.dueTimer.Stop()
	}
	ch.dueTimer = time.AfterFunc(wait, func() {
		ch.mu.Lock()
		defer ch.mu.Unlock()
		ch.dueAt = time.Time{}
		ch.publishDueLocked()
	})
}

// stopDue stops the due timer (Close).
func (ch *Channel) stopDue() {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.dueTimer != nil {
		ch.dueTimer.Stop()
	}
	ch.dueAt = time.Time{}
	ch.delayStopped = true
}

// PublishDue lists every segment due now and republishes the renditions
// whose playlist grew, and retries a failed Reconcile (the maintenance
// loop calls it; tests with an injected clock too).
func (ch *Channel) PublishDue() {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.publishDueLocked()
	if ch.reconcileBad.Swap(false) {
		ch.kickReconcile()
	}
}

func (ch *Channel) publishDueLocked() {
	now := ch.o.cfg.Now()
	for _, r := range ch.rends {
		if len(r.segs) == 0 || r.listedIndex() == len(r.segs) {
			continue
		}
		before := r.listed
		if r.advanceListed(now); r.listed != before {
			if err := ch.publishLocked(r); err != nil {
				ch.o.log.Error("publish due", "channel", ch.rec.ID, "rendition", r.name, "err", err)
			}
		}
	}
}

// reachable refuses a segment that is not listed yet or was withdrawn.
// Lock-free: it runs before the hot set is looked at.
func (r *Rendition) reachable(seq uint64) error {
	if seq >= r.listedA.Load() {
		return fmt.Errorf("segment %d of %q: %w", seq, r.name, ErrNotFound)
	}
	if g := r.gone.Load(); g != nil {
		if _, ok := (*g)[seq]; ok {
			return fmt.Errorf("segment %d of %q was withdrawn: %w", seq, r.name, ErrNotFound)
		}
	}
	return nil
}

// CutSegments is the listed timeline as the cuts see it: withdrawn entries
// count as slate (their media is left out like a pause's). Demuxed audio
// takes its replay cuts from it (replay.SlateSpans), so that it leaves out
// what the video leaves out.
func (r *Rendition) CutSegments() []SegmentInfo {
	r.ch.mu.Lock()
	defer r.ch.mu.Unlock()
	listed := r.segs[:r.listedIndex()]
	out := make([]SegmentInfo, len(listed))
	for i, s := range listed {
		if s.Withdrawn {
			s.Kind = "slate"
		}
		out[i] = s
	}
	return out
}

// servable is the listed timeline without withdrawn segments; the entry
// after a withdrawn run starts a discontinuity (its media does not follow
// the one before). Called with ch.mu held.
func (r *Rendition) servable() []SegmentInfo {
	listed := r.segs[:r.listedIndex()]
	out := make([]SegmentInfo, 0, len(listed))
	cut := false
	for _, s := range listed {
		if s.Withdrawn {
			cut = true
			continue
		}
		if cut && len(out) > 0 {
			s.Disc = true
		}
		cut = false
		out = append(out, s)
	}
	return out
}

// reconcileAll finishes what a restart interrupted: replaced blobs still
// to delete, withdrawn segments still holding bytes, blocked segments
// still to re-splice.
func (o *Origin) reconcileAll() error {
	if err := o.store.EmptyTrash(); err != nil {
		return storageErr("empty trash", err)
	}
	for _, id := range o.Channels() {
		ch, err := o.Channel(id)
		if err != nil {
			continue
		}
		if err := ch.Reconcile(); err != nil {
			ch.reconcileBad.Store(true)
			return fmt.Errorf("channel %s: %w", id, err)
		}
	}
	return nil
}
