package audience

import (
	"encoding/json"
	"fmt"
	"sort"

	"hlsorigin/origin"
)

// Loading polls at start: the poll records and vote logs the store holds
// are replayed into the same tallies, voters and tie order (see poll.go).

// loadPolls restores a channel's polls after its pauses: closed ones from
// their records, open ones by replaying their vote logs. An open poll whose
// pause has ended (a crash between the two records) is closed at the
// pause's end with the replayed result. Called by New, before serving.
func (a *Audience) loadPolls(cs *channelState) error {
	ch := cs.ch
	var recs []pollRecord
	var bad error
	err := a.st.Records("pl", []string{ch.ID()}, func(_ []string, val []byte) bool {
		var r pollRecord
		if err := json.Unmarshal(val, &r); err != nil {
			bad = fmt.Errorf("poll record: %w", err)
			return false
		}
		recs = append(recs, r)
		return true
	})
	if err != nil {
		return origin.StorageErr("list polls", err)
	}
	if bad != nil {
		return bad
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].OpenedAt.Before(recs[j].OpenedAt) })
	all := ch.Pauses()
	pauses := map[string]*origin.Pause{}
	for i := range all {
		pauses[all[i].ID] = &all[i]
	}
	for i, rec := range recs {
		p := pauses[rec.PauseID]
		if p == nil || len(rec.Labels) < MinPollOptions {
			continue // its pause was never saved
		}
		if err := a.loadPoll(cs, rec, p, i == len(recs)-1); err != nil {
			return err
		}
	}
	return nil
}

// loadPoll restores one poll of loadPolls; last: the latest poll.
func (a *Audience) loadPoll(cs *channelState, rec pollRecord, p *origin.Pause, last bool) error {
	pl := a.newPoll(cs.ch, rec)
	if rec.ClosedAt != nil {
		copy(pl.tally, rec.Votes)
		copy(pl.changed, rec.Changed)
		pl.seq = rec.LastSeq
		pl.closed, pl.closing, pl.saved, pl.durable = true, true, true, true
		close(pl.stopped)
		if last { // the viewers' own votes of the latest poll
			if err := pl.replay(true); err != nil {
				return err
			}
		}
		cs.polls.add(pl)
		return nil
	}
	if err := pl.replay(false); err != nil {
		return err
	}
	cs.polls.add(pl)
	if p.EndedAt != nil {
		go pl.run()
		_, err := pl.close(*p.EndedAt, true)
		return err
	}
	pl.start()
	return nil
}

// replay reads the poll's vote log in seq order. votesOnly keeps the
// recorded tallies (a closed poll) and restores only who voted for what.
func (pl *poll) replay(votesOnly bool) error {
	var bad error
	tally, changed := pl.tally, pl.changed
	if votesOnly {
		pl.tally, pl.changed = make([]int, len(tally)), make([]uint64, len(changed))
	}
	err := pl.a.st.Records("vt", []string{pl.ch.ID(), pl.rec.ID}, func(_ []string, val []byte) bool {
		var v voteRecord
		if err := json.Unmarshal(val, &v); err != nil {
			bad = fmt.Errorf("vote record: %w", err)
			return false
		}
		pl.applyLocked(v)
		return true
	})
	if votesOnly {
		pl.tally, pl.changed = tally, changed
		pl.seq = max(pl.seq, pl.rec.LastSeq)
	}
	if err != nil {
		return origin.StorageErr("list votes", err)
	}
	return bad
}
