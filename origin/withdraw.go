package origin

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"hlsorigin/timeline"
)

// A back-dated pause ("at" in the past) hides host video from "at". What
// is stored but not listed yet (publish delay, or a commit in flight) is
// re-spliced before it is listed, as the live cut would have done
// (resplice.go), and the stored bytes are overwritten (ReplaceSegments
// deletes the old blobs). What was already published is withdrawn: 404 at
// its URL, EXT-X-GAP in the live playlist, left out of the replay and the
// MP4 export, its bytes deleted; the pause says so in Exposed. The pause
// record (synced before Pause returns) names the withdrawn segments, so a
// crash before their store entries are rewritten changes nothing.

var errNoResplice = errors.New("cannot re-splice")

// planWithdrawLocked fills p.Withdrawn and p.Exposed with the listed host
// segments p hides. Called with ch.mu held, before p is saved.
func (ch *Channel) planWithdrawLocked(p *Pause) {
	h := timeline.Hide{ID: p.ID, At: p.StartedAt, Received: p.ReceivedAt}
	for name, r := range ch.rends {
		idx, iv := timeline.Withdraw(r.stored(), r.listedIndex(), h, hideMargin)
		for _, i := range idx {
			if p.Withdrawn == nil {
				p.Withdrawn = map[string][]uint64{}
			}
			p.Withdrawn[name] = append(p.Withdrawn[name], r.segs[i].Seq)
		}
		p.Exposed = timeline.Merge(p.Exposed, iv)
	}
}

// applyWithdrawnLocked takes p's withdrawn segments off every URL in
// memory (flags, the lock-free gone set, the caches). Called with ch.mu held.
func (ch *Channel) applyWithdrawnLocked(p Pause) {
	for name, seqs := range p.Withdrawn {
		r := ch.rends[name]
		if r == nil {
			continue
		}
		for _, seq := range seqs {
			if i, ok := r.index(seq); ok {
				r.segs[i].Withdrawn = true
			}
		}
		r.refreshGone()
	}
}

// index finds seq in r.segs. Called with ch.mu held.
func (r *Rendition) index(seq uint64) (int, bool) {
	i := sort.Search(len(r.segs), func(i int) bool { return r.segs[i].Seq >= seq })
	return i, i < len(r.segs) && r.segs[i].Seq == seq
}

// refreshGone rebuilds the withdrawn set from the timeline and drops those
// segments from the caches. Called with ch.mu held.
func (r *Rendition) refreshGone() {
	g := map[uint64]struct{}{}
	for _, s := range r.segs {
		if s.Withdrawn {
			g[s.Seq] = struct{}{}
		}
	}
	if len(g) == 0 {
		r.gone.Store(nil) // readers skip the lookup
	} else {
		r.gone.Store(&g)
	}
	for seq := range g {
		r.ch.o.forgetSegment(r, seq)
	}
}

// forgetSegment drops one segment from the hot set and the segment cache.
func (o *Origin) forgetSegment(r *Rendition, seq uint64) {
	o.hot.mu.Lock()
	r.hotMu.Lock()
	if it := r.hot[seq]; it != nil {
		delete(r.hot, seq)
		o.hot.dropLocked(it, false)
	}
	r.hotMu.Unlock()
	o.hot.mu.Unlock()
	o.segs.mu.Lock()
	if e, ok := o.segs.items[segKey{r, seq}]; ok {
		o.segs.remove(e)
	}
	o.segs.mu.Unlock()
}

// kickReconcile runs Reconcile in the background unless it runs already
// (a later segment, the due timer or the maintenance loop kick it again).
func (ch *Channel) kickReconcile() {
	if !ch.reconciling.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer ch.reconciling.Store(false)
		if err := ch.Reconcile(); err != nil {
			ch.reconcileBad.Store(true)
			ch.o.log.Error("reconcile pauses", "channel", ch.rec.ID, "err", err)
		}
	}()
}

// Reconcile brings the store in line with the pauses: withdrawn segments
// lose their bytes, and unlisted segments a pause blocks are re-spliced
// (then listed when due). Idempotent; Open runs it after a restart.
func (ch *Channel) Reconcile() error {
	ch.ingestMu.Lock()
	defer ch.ingestMu.Unlock()
	ch.mu.Lock()
	defer ch.mu.Unlock()
	names := make([]string, 0, len(ch.rends))
	for n := range ch.rends {
		names = append(names, n)
	}
	sort.Strings(names)
	var first error
	for _, n := range names {
		r := ch.rends[n]
		purged, err := r.purgeWithdrawn()
		first = errors.Join(first, err)
		spliced, err := r.respliceBlocked()
		first = errors.Join(first, err)
		if (purged || spliced) && len(r.segs) > 0 {
			first = errors.Join(first, ch.publishLocked(r))
		}
	}
	return first
}

// purgeWithdrawn deletes the bytes of withdrawn segments (their index
// entries stay, marked, for the numbering). Called with ch.mu held.
func (r *Rendition) purgeWithdrawn() (bool, error) {
	done := false
	for i := range r.segs {
		s := r.segs[i]
		if !s.Withdrawn || s.Size == 0 {
			continue
		}
		s.Size = 0
		meta, err := json.Marshal(s)
		if err != nil {
			return done, fmt.Errorf("encode segment meta: %w", err)
		}
		if err := r.ch.o.store.ReplaceSegment(r.ch.rec.ID, r.name, s.Seq, meta, nil); err != nil {
			return done, storageErr(fmt.Sprintf("withdraw segment %d of %q", s.Seq, r.name), err)
		}
		r.segs[i], done = s, true
	}
	return done, nil
}

// storedBytes reads a segment regardless of listing (hot set, else store).
func (r *Rendition) storedBytes(seq uint64) ([]byte, error) {
	r.hotMu.RLock()
	it := r.hot[seq]
	var b []byte
	if it != nil {
		b = it.data
	}
	r.hotMu.RUnlock()
	if b != nil {
		return b, nil
	}
	b, _, err := r.ch.o.store.Segment(r.ch.rec.ID, r.name, seq)
	if err != nil {
		return nil, storageErr(fmt.Sprintf("read segment %d of %q", seq, r.name), err)
	}
	return b, nil
}

// pauseByID finds a retained pause. Called with ch.mu held.
func (ch *Channel) pauseByID(id string) *Pause {
	for i := range ch.pauses {
		if ch.pauses[i].ID == id {
			return &ch.pauses[i]
		}
	}
	return nil
}
