package audience

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"hlsorigin/origin"
	"hlsorigin/origin/store"
)

// Audience poll. A poll opens with each pause (its id is the pause id) and
// closes on resume, or after Config.PollMaxDuration. Viewers vote with a
// signed viewer token; one vote per viewer per poll, a new vote replaces
// the old one.
//
// Storage: every vote is one append-only record vt/<channel>/<poll>/<seq>
// = {seq, viewer, option}, where seq is assigned under the poll's lock.
// Tallies live in memory and are the replay of that log in seq order:
// a viewer's latest vote counts, and each option remembers the seq of the
// last change of its tally (for the tie-break). Reopening the store replays
// the log and gets the same tallies, voters and tie order. Votes are group
// committed: concurrent voters' records go into one Badger transaction
// written by the poll's writer goroutine, and a vote is answered once its
// transaction committed (it is then in the write-ahead log: it survives a
// process crash). The writer fsyncs the meta DB at most once per second
// while votes arrive, so a power loss can lose at most about the last
// second of answered votes; the closed result is fsynced with the resume.

// DefaultPollOptions are the options of a channel that set none.
var DefaultPollOptions = []string{"sing", "tell a joke", "red envelope"}

// Poll option bounds.
const (
	MinPollOptions     = 2
	MaxPollOptions     = 5
	MaxPollOptionRunes = 40
)

const (
	// pollEventEvery throttles "poll" tally events to about 2 per second.
	pollEventEvery = 500 * time.Millisecond
	// voteSyncEvery is how often the writer fsyncs while votes arrive.
	voteSyncEvery = time.Second
)

// ValidatePollOptions trims and checks a host's poll options: 2 to 5
// distinct, non-empty labels of at most 40 characters without control
// characters. It returns the cleaned labels.
func ValidatePollOptions(opts []string) ([]string, error) {
	if len(opts) < MinPollOptions || len(opts) > MaxPollOptions {
		return nil, fmt.Errorf("poll_options: %d to %d options, got %d: %w", MinPollOptions, MaxPollOptions, len(opts), origin.ErrInvalid)
	}
	out := make([]string, 0, len(opts))
	seen := map[string]bool{}
	for i, o := range opts {
		o = strings.TrimSpace(o)
		switch {
		case o == "":
			return nil, fmt.Errorf("poll_options[%d] is empty: %w", i, origin.ErrInvalid)
		case !utf8.ValidString(o):
			return nil, fmt.Errorf("poll_options[%d] is not UTF-8: %w", i, origin.ErrInvalid)
		case utf8.RuneCountInString(o) > MaxPollOptionRunes:
			return nil, fmt.Errorf("poll_options[%d] longer than %d characters: %w", i, MaxPollOptionRunes, origin.ErrInvalid)
		case strings.IndexFunc(o, unicode.IsControl) >= 0:
			return nil, fmt.Errorf("poll_options[%d] holds control characters: %w", i, origin.ErrInvalid)
		case seen[strings.ToLower(o)]:
			return nil, fmt.Errorf("poll_options[%d] %q is a duplicate: %w", i, o, origin.ErrInvalid)
		}
		seen[strings.ToLower(o)] = true
		out = append(out, o)
	}
	return out, nil
}

// PollOption is one choice of a poll with its tally. Its id is its
// 1-based position ("1".."5").
type PollOption struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Votes int    `json:"votes"`
}

// PollView is a poll as clients see it.
type PollView struct {
	ID       string       `json:"id"`
	PauseID  string       `json:"pause_id"`
	State    string       `json:"state"` // open | closed
	Options  []PollOption `json:"options"`
	Total    int          `json:"total"` // voters (one vote each)
	Winner   *PollOption  `json:"winner"`
	OpenedAt time.Time    `json:"opened_at"`
	ClosesAt *time.Time   `json:"closes_at,omitempty"`
	ClosedAt *time.Time   `json:"closed_at,omitempty"`
	// Durable: the closed result is fsynced (it survives a power loss).
	Durable  bool   `json:"durable"`
	YourVote string `json:"your_vote,omitempty"`
}

// pollRecord is the persisted poll (pl/<channel>/<poll>): written when it
// opens, rewritten with the result when it closes.
type pollRecord struct {
	ID       string     `json:"id"`
	PauseID  string     `json:"pause_id"`
	Labels   []string   `json:"labels"`
	OpenedAt time.Time  `json:"opened_at"`
	ClosesAt *time.Time `json:"closes_at,omitempty"`
	ClosedAt *time.Time `json:"closed_at,omitempty"`
	Votes    []int      `json:"votes,omitempty"`   // final tallies
	Changed  []uint64   `json:"changed,omitempty"` // seq of each option's last tally change
	Winner   int        `json:"winner"`            // index, -1: none
	LastSeq  uint64     `json:"last_seq,omitempty"`
}

// voteRecord is one vote of the log (vt/<channel>/<poll>/<seq>).
type voteRecord struct {
	Seq    uint64 `json:"s"`
	Viewer string `json:"v"`
	Option int    `json:"o"` // 0-based
	At     int64  `json:"t"` // unix ms
}

type voteBatch struct {
	votes []voteRecord
	done  chan struct{}
	err   error
}

// poll is one poll of a channel. rec's id, pause id, labels, opening and
// closing times never change; the result fields change under mu.
type poll struct {
	a  *Audience
	ch *origin.Channel

	mu      sync.Mutex
	rec     pollRecord
	closing bool // no more votes (closing, closed, or the origin is shutting down)
	closed  bool
	saved   bool           // the closed result's record is written
	durable bool           // ... and fsynced
	votes   map[string]int // viewer -> option (committed votes)
	cast    map[string]int // viewer -> votes taken by this process (votecompact.go)
	tally   []int
	changed []uint64
	seq     uint64     // last seq assigned
	cur     *voteBatch // votes waiting for the writer

	kick     chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
	stopped  chan struct{}

	lastEmit   time.Time
	emitTimer  *time.Timer
	closeTimer *time.Timer
}

// pollSet holds a channel's polls.
type pollSet struct {
	mu      sync.Mutex
	byPause map[string]*poll
	last    *poll // the most recently opened
}

func (a *Audience) newPoll(ch *origin.Channel, rec pollRecord) *poll {
	n := len(rec.Labels)
	return &poll{a: a, ch: ch, rec: rec, votes: map[string]int{}, tally: make([]int, n), changed: make([]uint64, n),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
}

// PollOptions returns the options a pause of this channel opens its poll with.
func (a *Audience) PollOptions(ch *origin.Channel) []string {
	return withDefaults(ch.PollOptions())
}

func withDefaults(opts []string) []string {
	if len(opts) > 0 {
		return append([]string(nil), opts...)
	}
	return append([]string(nil), DefaultPollOptions...)
}

// SetPollOptions sets the options of the channel's next polls (nil or
// empty: the defaults). The poll already open keeps its options. They are
// kept in the channel record (the origin validates them through
// CheckPauseOptions).
func (a *Audience) SetPollOptions(ch *origin.Channel, opts []string) error {
	return ch.SetPollOptions(opts)
}

// preparePoll writes the record of the poll a new pause opens (not
// synced: the pause record's fsync that follows covers it). Called with
// ch's lock held, before the pause is saved; labels are the pause's or the
// channel's stored options (empty: the defaults).
func (a *Audience) preparePoll(ch *origin.Channel, p origin.Pause, labels []string) (pollRecord, error) {
	labels = withDefaults(labels)
	rec := pollRecord{ID: p.ID, PauseID: p.ID, Labels: labels, OpenedAt: a.now().UTC(), Winner: -1}
	if d := a.pollMaxDuration(); d > 0 {
		t := rec.OpenedAt.Add(d)
		rec.ClosesAt = &t
	}
	return rec, a.savePollRecord(ch.ID(), rec, false)
}

func (a *Audience) savePollRecord(channel string, rec pollRecord, durable bool) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode poll: %w", err)
	}
	if err := a.st.PutRecord("pl", []string{channel, rec.ID}, b, durable); err != nil {
		return origin.StorageErr("save poll", err)
	}
	return nil
}

// startPoll opens a prepared poll: it takes votes from now on.
func (a *Audience) startPoll(cs *channelState, rec pollRecord) {
	pl := a.newPoll(cs.ch, rec)
	cs.polls.add(pl)
	pl.start()
	pl.mu.Lock()
	pl.emitLocked()
	pl.mu.Unlock()
}

func (ps *pollSet) add(pl *poll) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.byPause == nil {
		ps.byPause = map[string]*poll{}
	}
	ps.byPause[pl.rec.PauseID] = pl
	if ps.last == nil || !pl.rec.OpenedAt.Before(ps.last.rec.OpenedAt) {
		if prev := ps.last; prev != nil {
			// Own votes are shown for the latest poll only: an older closed
			// poll keeps its result, not who voted for what.
			prev.mu.Lock()
			if prev.closed {
				prev.votes = nil
			}
			prev.mu.Unlock()
		}
		ps.last = pl
	}
}

func (ps *pollSet) get(pauseID string) *poll {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.byPause[pauseID]
}

func (ps *pollSet) latest() *poll {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.last
}

func (ps *pollSet) all() []*poll {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	out := make([]*poll, 0, len(ps.byPause))
	for _, pl := range ps.byPause {
		out = append(out, pl)
	}
	return out
}

// start runs the writer and the max-duration timer of an open poll.
func (pl *poll) start() {
	go pl.run()
	if c := pl.rec.ClosesAt; c != nil {
		pl.mu.Lock()
		pl.closeTimer = time.AfterFunc(max(0, c.Sub(pl.a.now())), func() {
			if v, err := pl.close(pl.a.now().UTC(), true); err == nil {
				pl.ch.Emit("poll_result", v)
			} else {
				pl.a.log.Error("close poll", "channel", pl.ch.ID(), "poll", pl.rec.ID, "err", err)
			}
		})
		pl.mu.Unlock()
	}
}

// run is the poll's writer: it group-commits queued votes, and fsyncs at
// most once per voteSyncEvery while there are unsynced votes.
func (pl *poll) run() {
	defer close(pl.stopped)
	tick := time.NewTicker(voteSyncEvery)
	defer tick.Stop()
	dirty := false
	syncNow := func() {
		if dirty {
			if err := pl.a.st.PutRecords("vt", nil, true); err != nil {
				pl.a.log.Warn("sync votes", "channel", pl.ch.ID(), "err", err)
				return
			}
			dirty = false
		}
	}
	for {
		select {
		case <-pl.kick:
			dirty = pl.flush() || dirty
		case <-tick.C:
			syncNow()
		case <-pl.stop:
			pl.flush() // closing is set: nothing is queued after this
			return
		}
	}
}

// flush writes the queued votes in one transaction, then counts them.
func (pl *poll) flush() bool {
	pl.mu.Lock()
	b := pl.cur
	pl.cur = nil
	pl.mu.Unlock()
	if b == nil {
		return false
	}
	recs := make([]store.RecordPut, len(b.votes))
	for i, v := range b.votes {
		val, _ := json.Marshal(v)
		recs[i] = store.RecordPut{Parts: []string{pl.ch.ID(), pl.rec.ID, voteKey(v.Seq)}, Val: val}
	}
	err := pl.a.st.PutRecords("vt", recs, false)
	pl.mu.Lock()
	if err == nil {
		for _, v := range b.votes {
			pl.applyLocked(v)
		}
		pl.changedLocked()
	}
	pl.mu.Unlock()
	if err != nil {
		b.err = origin.StorageErr("save votes", err)
	}
	close(b.done)
	return err == nil
}

// voteKey sorts numerically as a string.
func voteKey(seq uint64) string { return fmt.Sprintf("%020d", seq) }

// applyLocked counts one committed vote, in seq order.
func (pl *poll) applyLocked(v voteRecord) {
	if v.Option < 0 || v.Option >= len(pl.tally) {
		return
	}
	if prev, ok := pl.votes[v.Viewer]; ok {
		if prev == v.Option {
			return
		}
		pl.tally[prev]--
		pl.changed[prev] = v.Seq
	}
	pl.votes[v.Viewer] = v.Option
	pl.tally[v.Option]++
	pl.changed[v.Option] = v.Seq
	pl.seq = max(pl.seq, v.Seq)
}

// winnerOf is the option with the most votes; on a tie, the one that
// reached its final count first (the earliest last change). -1 without votes.
func winnerOf(tally []int, changed []uint64) int {
	w := -1
	for i, n := range tally {
		if n == 0 {
			continue
		}
		if w < 0 || n > tally[w] || n == tally[w] && changed[i] < changed[w] {
			w = i
		}
	}
	return w
}

// changedLocked emits a "poll" event now, or schedules one so that a poll
// emits at most one per pollEventEvery.
func (pl *poll) changedLocked() {
	if pl.emitTimer != nil || pl.closing {
		return
	}
	if wait := time.Until(pl.lastEmit.Add(pollEventEvery)); wait > 0 {
		pl.emitTimer = time.AfterFunc(wait, func() {
			pl.mu.Lock()
			defer pl.mu.Unlock()
			pl.emitTimer = nil
			if !pl.closing {
				pl.emitLocked()
			}
		})
		return
	}
	pl.emitLocked()
}

// emitLocked sends the tallies as a "poll" event (under pl.mu, so events
// leave in the order of the tallies they show).
func (pl *poll) emitLocked() {
	pl.lastEmit = time.Now()
	pl.ch.Emit("poll", pl.viewLocked(""))
}

func (pl *poll) viewLocked(viewer string) PollView {
	v := PollView{ID: pl.rec.ID, PauseID: pl.rec.PauseID, State: "open", OpenedAt: pl.rec.OpenedAt,
		ClosesAt: pl.rec.ClosesAt, ClosedAt: pl.rec.ClosedAt, Durable: pl.durable}
	for i, l := range pl.rec.Labels {
		v.Options = append(v.Options, PollOption{ID: strconv.Itoa(i + 1), Label: l, Votes: pl.tally[i]})
		v.Total += pl.tally[i]
	}
	if pl.closed {
		v.State = "closed"
		if w := pl.rec.Winner; w >= 0 && w < len(v.Options) {
			o := v.Options[w]
			v.Winner = &o
		}
	}
	if viewer != "" {
		if o, ok := pl.votes[viewer]; ok {
			v.YourVote = strconv.Itoa(o + 1)
		}
	}
	return v
}

func (pl *poll) view(viewer string) PollView {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return pl.viewLocked(viewer)
}

// halt stops the writer after it wrote what is queued; no vote is taken
// afterwards.
func (pl *poll) halt() {
	pl.mu.Lock()
	pl.closing = true
	if pl.emitTimer != nil {
		pl.emitTimer.Stop()
		pl.emitTimer = nil
	}
	if pl.closeTimer != nil {
		pl.closeTimer.Stop()
	}
	pl.mu.Unlock()
	pl.stopOnce.Do(func() { close(pl.stop) })
	<-pl.stopped
}

// close ends the poll at `at`: the queued votes are written, the result
// computed and recorded (fsynced when durable). Closing a closed poll
// returns its result.
func (pl *poll) close(at time.Time, durable bool) (PollView, error) {
	pl.halt()
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.closed {
		return pl.viewLocked(""), nil
	}
	rec := pl.rec
	rec.ClosedAt = &at
	rec.Votes = append([]int(nil), pl.tally...)
	rec.Changed = append([]uint64(nil), pl.changed...)
	rec.Winner = winnerOf(pl.tally, pl.changed)
	rec.LastSeq = pl.seq
	// The result is a function of the vote log: if this record is lost,
	// loading replays the log and closes the poll again with the same result.
	err := pl.a.savePollRecord(pl.ch.ID(), rec, durable)
	// Field by field: id, pause id and opening time are read without the lock.
	pl.rec.ClosedAt, pl.rec.Votes, pl.rec.Changed, pl.rec.Winner, pl.rec.LastSeq =
		rec.ClosedAt, rec.Votes, rec.Changed, rec.Winner, rec.LastSeq
	pl.closed = true
	pl.saved = err == nil
	pl.durable = durable && pl.saved
	return pl.viewLocked(""), err
}

// markDurable notes that the closed result was fsynced (by the resume).
func (pl *poll) markDurable() {
	pl.mu.Lock()
	pl.durable = pl.saved
	pl.mu.Unlock()
}

// Vote records viewer v's vote for option id ("1".."n") in the open poll,
// replacing the viewer's earlier vote. It returns once the vote is stored
// and counted.
func (a *Audience) Vote(ch *origin.Channel, v Viewer, option string) (PollView, error) {
	pl := a.state(ch).polls.latest()
	if pl == nil {
		return PollView{}, fmt.Errorf("channel %s has no open poll (polls open while the host is paused): %w", ch.ID(), origin.ErrConflict)
	}
	pl.mu.Lock()
	if pl.closing {
		pl.mu.Unlock()
		return PollView{}, fmt.Errorf("poll %s is closed: %w", pl.rec.ID, origin.ErrConflict)
	}
	idx, err := strconv.Atoi(option)
	if err != nil || idx < 1 || idx > len(pl.rec.Labels) || strconv.Itoa(idx) != option {
		n := len(pl.rec.Labels)
		pl.mu.Unlock()
		return PollView{}, fmt.Errorf("option %q: an option id from 1 to %d: %w", option, n, origin.ErrInvalid)
	}
	if pl.redundantLocked(v.ID, idx-1) {
		view := pl.viewLocked(v.ID)
		pl.mu.Unlock()
		return view, nil
	}
	if err := pl.countVoteLocked(v.ID); err != nil {
		pl.mu.Unlock()
		return PollView{}, err
	}
	if pl.cur == nil {
		pl.cur = &voteBatch{done: make(chan struct{})}
	}
	b := pl.cur
	pl.seq++
	b.votes = append(b.votes, voteRecord{Seq: pl.seq, Viewer: v.ID, Option: idx - 1, At: a.now().UnixMilli()})
	pl.mu.Unlock()
	select {
	case pl.kick <- struct{}{}:
	default:
	}
	<-b.done
	if b.err != nil {
		return PollView{}, b.err
	}
	return pl.view(v.ID), nil
}

// Poll returns the poll of a pause ("" for the latest poll), seen by
// viewer (its own vote; "" for anonymous).
func (a *Audience) Poll(ch *origin.Channel, pauseID, viewer string) (PollView, error) {
	var pl *poll
	if ps := &a.state(ch).polls; pauseID == "" {
		pl = ps.latest()
	} else {
		pl = ps.get(pauseID)
	}
	if pl == nil {
		if pauseID == "" {
			return PollView{}, fmt.Errorf("channel %s has had no poll yet: %w", ch.ID(), origin.ErrNotFound)
		}
		return PollView{}, fmt.Errorf("poll of pause %q: %w", pauseID, origin.ErrNotFound)
	}
	return pl.view(viewer), nil
}

// PollOf returns the poll of a pause, if it had one.
func (a *Audience) PollOf(ch *origin.Channel, pauseID string) (PollView, bool) {
	pl := a.state(ch).polls.get(pauseID)
	if pl == nil {
		return PollView{}, false
	}
	return pl.view(""), true
}
