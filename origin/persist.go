package origin

import (
	"encoding/json"
	"fmt"
	"sort"

	"hlsorigin/origin/store"
	"hlsorigin/segments"
)

// load rebuilds every channel from the store: records, inits, the segment
// index and staged segments. Playlists are republished from it.
func (o *Origin) load() error {
	recs, err := o.store.Channels()
	if err != nil {
		return storageErr("list channels", err)
	}
	for id, b := range recs {
		var rec channelRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return fmt.Errorf("channel %s record: %w", id, err)
		}
		ch := newChannel(o, rec)
		if err := ch.load(); err != nil {
			return fmt.Errorf("channel %s: %w", id, err)
		}
		o.channels[id] = ch
	}
	return nil
}

func (ch *Channel) load() error {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	rends, err := ch.o.store.Renditions(ch.rec.ID)
	if err != nil {
		return storageErr("list renditions", err)
	}
	for name, b := range rends {
		r := newRendition(ch, name)
		if err := json.Unmarshal(b, &r.rec); err != nil {
			return fmt.Errorf("rendition %s record: %w", name, err)
		}
		if err := r.load(); err != nil {
			return fmt.Errorf("rendition %s: %w", name, err)
		}
		ch.rends[name] = r
	}
	if err := ch.loadStaged(); err != nil {
		return err
	}
	if err := ch.loadPauses(); err != nil {
		return err
	}
	for _, p := range ch.pauses {
		ch.applyWithdrawnLocked(p)
	}
	for _, r := range ch.rends {
		r.refreshGone() // withdrawn marks in segment metadata
	}
	for _, r := range ch.rends {
		if len(r.segs) > 0 {
			if err := ch.publishLocked(r); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *Rendition) load() error {
	inits, err := r.ch.o.store.Inits(r.ch.rec.ID, r.name)
	if err != nil {
		return storageErr("list inits", err)
	}
	for ver, b := range inits {
		in, err := segments.ParseInit(b)
		if err != nil {
			return fmt.Errorf("init %d: %w", ver, err)
		}
		in.Raw = b
		r.inits[ver] = in
	}
	err = r.ch.o.store.SegmentRefs(r.ch.rec.ID, r.name, 0, func(ref store.SegmentRef) bool {
		var info SegmentInfo
		if json.Unmarshal(ref.Meta, &info) != nil {
			return true
		}
		info.Seq = ref.Seq
		r.segs = append(r.segs, info)
		return true
	})
	if err != nil {
		return storageErr("list segments", err)
	}
	sort.Slice(r.segs, func(i, j int) bool { return r.segs[i].Seq < r.segs[j].Seq })
	r.listed = r.rec.Listed // listed under a shorter delay before it grew (see delay.go)
	r.listedA.Store(r.listed)
	if n := len(r.segs); n > 0 {
		r.nextSeq = r.segs[n-1].Seq + 1
		for _, s := range r.segs[max(0, n-256):] {
			r.ch.remember(s.Name, s.Hash)
		}
	}
	return nil
}

// loadStaged restores staged segments and unclaimed inits.
func (ch *Channel) loadStaged() error {
	for _, name := range ch.rec.PendingInits {
		b, err := ch.o.store.Init(ch.rec.ID, pendingInitKey(name), 0)
		if err != nil {
			continue
		}
		if in, err := segments.ParseInit(b); err == nil {
			in.Raw = b
			ch.pendingInits[name] = in
		}
	}
	names, err := ch.o.store.StagedNames(ch.rec.ID)
	if err != nil {
		return storageErr("list staged", err)
	}
	for _, n := range names {
		_, meta, at, err := ch.o.store.Staged(ch.rec.ID, n)
		if err != nil {
			continue
		}
		ch.staged[n] = stagedSegment{at: at, hash: string(meta)}
		if r := ch.resolve(n); r != nil {
			r.pending = append(r.pending, n)
		}
	}
	return nil
}

// loadPauses restores pause records (an open one keeps the channel paused:
// fail closed).
func (ch *Channel) loadPauses() error {
	var bad error
	err := ch.o.store.Records("p", []string{ch.rec.ID}, func(_ []string, val []byte) bool {
		var p Pause
		if err := json.Unmarshal(val, &p); err != nil {
			bad = fmt.Errorf("pause record: %w", err)
			return false
		}
		ch.pauses = append(ch.pauses, p)
		return true
	})
	if err != nil {
		return storageErr("list pauses", err)
	}
	sortPauses(ch.pauses)
	return bad
}
