package origin

import (
	"testing"
	"time"
)

// TestBackdatedPauseStaysPausedAfterRestart: a pause whose "at" lies
// before an earlier, closed pause (or in the same millisecond) is clamped
// after it and gets its own record, so the channel reloads as paused
// (fail closed) with every pause kept.
func TestBackdatedPauseStaysPausedAfterRestart(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   func(now time.Time) *time.Time
	}{
		{"backdated", func(now time.Time) *time.Time { t := now.Add(-26 * 365 * 24 * time.Hour); return &t }},
		{"same millisecond", func(time.Time) *time.Time { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, clk := t.TempDir(), newClock()
			o := openTest(t, dir, clk)
			ch, _, err := o.CreateChannel("c", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ch.Pause(PauseRequest{}); err != nil {
				t.Fatal(err)
			}
			if _, err := ch.Resume(nil); err != nil {
				t.Fatal(err)
			}
			p, err := ch.Pause(PauseRequest{At: tc.at(clk.Now())})
			if err != nil {
				t.Fatal(err)
			}
			if first := ch.Pauses()[0]; p.ID == first.ID || p.StartedAt.Before(*first.EndedAt) {
				t.Errorf("second pause %+v overlaps or shares the id of the first %+v", p, first)
			}
			o.Close()
			o = openTest(t, dir, clk)
			defer o.Close()
			ch, _ = o.Channel("c")
			if ch.State() != "paused" || len(ch.Pauses()) != 2 {
				t.Fatalf("after restart: state %s, %d pauses; want paused with 2", ch.State(), len(ch.Pauses()))
			}
		})
	}
}
