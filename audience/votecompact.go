package audience

import (
	"fmt"

	"hlsorigin/origin"
)

// Bounding the vote log. Every vote is one record of the poll's log, and a
// viewer may change its vote, so one viewer could grow the log without
// end. Two rules keep it at most MaxVotesPerViewer records per viewer:
//   - a re-vote for the option the viewer's committed vote already holds
//     changes nothing and writes nothing (answered from memory);
//   - a viewer may cast at most MaxVotesPerViewer votes per poll (first
//     vote and changes); more are refused with ErrRateLimited.
// Older records of a viewer are not deleted: the replay of the log must
// give the same tie order (each option's last-change seq), which the
// records of earlier changes carry.

// MaxVotesPerViewer bounds the votes (first vote and changes) of one
// viewer in one poll.
const MaxVotesPerViewer = 10

// redundantLocked reports a re-vote for the option the viewer's committed
// vote holds, with no vote of the viewer still being written.
func (pl *poll) redundantLocked(viewer string, option int) bool {
	if o, ok := pl.votes[viewer]; !ok || o != option {
		return false
	}
	if pl.cur != nil {
		for _, v := range pl.cur.votes {
			if v.Viewer == viewer {
				return false
			}
		}
	}
	return true
}

// countVoteLocked counts one vote of viewer, refusing one over the bound.
func (pl *poll) countVoteLocked(viewer string) error {
	if pl.cast == nil {
		pl.cast = map[string]int{}
	}
	if pl.cast[viewer] >= MaxVotesPerViewer {
		return fmt.Errorf("at most %d votes per viewer in one poll: %w", MaxVotesPerViewer, origin.ErrRateLimited)
	}
	pl.cast[viewer]++
	return nil
}
