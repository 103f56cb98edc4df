package audience

import (
	"errors"
	"testing"

	"hlsorigin/origin"
)

// A viewer cannot grow the vote log without end: same-option re-votes
// write nothing, and votes past MaxVotesPerViewer are refused.
func TestVoteLogBoundedPerViewer(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	ch := newTestChannel(t, o, "vlog")
	p, err := ch.Pause(origin.PauseRequest{})
	if err != nil {
		t.Fatal(err)
	}
	_, v, _ := o.IssueViewer()
	records := func() int {
		n := 0
		o.Store().Records("vt", []string{"vlog", p.ID}, func([]string, []byte) bool { n++; return true })
		return n
	}
	mustVote(t, ch, v, "1")
	for i := 0; i < 50; i++ {
		mustVote(t, ch, v, "1")
	}
	if n := records(); n != 1 {
		t.Errorf("51 votes for one option: %d records, want 1", n)
	}
	opts := []string{"2", "3"}
	for i := 0; i < MaxVotesPerViewer-1; i++ {
		mustVote(t, ch, v, opts[i%2])
	}
	if _, err := ch.Vote(v, "1"); !errors.Is(err, origin.ErrRateLimited) {
		t.Errorf("vote %d of one viewer: %v, want origin.ErrRateLimited", MaxVotesPerViewer+1, err)
	}
	if n := records(); n != MaxVotesPerViewer {
		t.Errorf("%d records, want %d", n, MaxVotesPerViewer)
	}
	pv, _ := ch.Poll("", v.ID)
	if pv.Total != 1 || pv.YourVote != opts[(MaxVotesPerViewer-2)%2] {
		t.Errorf("poll %+v", pv)
	}
}
