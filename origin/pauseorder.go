package origin

import (
	"fmt"
	"sort"
	"time"
)

// pauseStart clamps the start of a new pause to the end of the previous
// one: an "at" earlier than that would overlap a closed pause, and pauses
// must stay ordered (oldest first, the open one last) for the fail-closed
// reload. Called with ch.mu held.
func (ch *Channel) pauseStart(at time.Time) time.Time {
	if n := len(ch.pauses); n > 0 {
		if e := ch.pauses[n-1].EndedAt; e != nil && at.Before(*e) {
			return *e
		}
	}
	return at
}

// pauseID is "p<unix ms>", with a suffix when a pause of the same
// millisecond exists (its record would be overwritten). Called with ch.mu held.
func (ch *Channel) pauseID(at time.Time) string {
	id := fmt.Sprintf("p%d", at.UnixMilli())
	for k := 2; ch.hasPause(id); k++ {
		id = fmt.Sprintf("p%d-%d", at.UnixMilli(), k)
	}
	return id
}

func (ch *Channel) hasPause(id string) bool {
	for i := range ch.pauses {
		if ch.pauses[i].ID == id {
			return true
		}
	}
	return false
}

// sortPauses orders reloaded pauses oldest first with an open pause last
// whatever its start (fail closed: openPause looks at the last one).
func sortPauses(ps []Pause) {
	sort.SliceStable(ps, func(i, j int) bool {
		oi, oj := ps[i].EndedAt == nil, ps[j].EndedAt == nil
		if oi != oj {
			return oj
		}
		if !ps[i].StartedAt.Equal(ps[j].StartedAt) {
			return ps[i].StartedAt.Before(ps[j].StartedAt)
		}
		return ps[i].ID < ps[j].ID
	})
}
