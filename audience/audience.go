package audience

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"hlsorigin/origin"
	"hlsorigin/origin/store"
)

// Audience holds the viewers, chat and polls of an origin's channels. It
// is the origin's PauseObserver: a pause opens the channel's poll (its
// record written in the pause's durable batch), a resume closes it.
//
// Lock order: origin.Channel.mu (held by the origin when it calls the
// observer, or by the slate picker reading recent chat) -> Audience.mu ->
// pollSet.mu -> poll.mu / chatLog.mu -> the channel's event lock (Emit).
// Audience.mu only guards the map of channels: nothing is called under it.
type Audience struct {
	o   *origin.Origin
	st  *store.Store
	log *slog.Logger
	now func() time.Time

	mu     sync.Mutex
	chans  map[string]*channelState // channel id -> its audience
	maxDur time.Duration            // PollMaxDuration (0: polls close on resume)

	viewerOnce sync.Once
	viewerKey  []byte
	viewerErr  error
}

// channelState is the audience of one channel.
type channelState struct {
	ch    *origin.Channel
	chat  chatLog
	polls pollSet
}

// New loads the audience of an origin (chat and polls of every channel,
// read back from the store; open polls take votes again, a poll whose
// pause ended while the process was down is closed with the replayed
// result) and installs it as the origin's pause observer. Call it once per
// origin, after Open and before ingest or requests start.
func New(o *origin.Origin) (*Audience, error) {
	cfg := o.Config()
	a := &Audience{o: o, st: o.Store(), log: cfg.Logger, now: cfg.Now, chans: map[string]*channelState{}}
	for _, id := range o.Channels() {
		ch, err := o.Channel(id)
		if err != nil {
			continue
		}
		cs := a.state(ch)
		if err := a.loadChat(cs); err != nil {
			a.Close()
			return nil, fmt.Errorf("channel %s: %w", id, err)
		}
		if err := a.loadPolls(cs); err != nil {
			a.Close()
			return nil, fmt.Errorf("channel %s: %w", id, err)
		}
	}
	o.SetPauseObserver(a)
	return a, nil
}

// state returns the audience of a channel, made on first use.
func (a *Audience) state(ch *origin.Channel) *channelState {
	a.mu.Lock()
	defer a.mu.Unlock()
	cs := a.chans[ch.ID()]
	if cs == nil {
		cs = &channelState{ch: ch}
		a.chans[ch.ID()] = cs
	}
	return cs
}

func (a *Audience) states() []*channelState {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]*channelState, 0, len(a.chans))
	for _, cs := range a.chans {
		out = append(out, cs)
	}
	return out
}

// SetPollMaxDuration closes a pause's poll after d even while the host
// stays paused (0: polls close on resume). Call it before serving: polls
// opened later use it.
func (a *Audience) SetPollMaxDuration(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.maxDur = max(0, d)
}

func (a *Audience) pollMaxDuration() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.maxDur
}

// Close stops the open polls' writers after they wrote what is queued;
// they stay open on disk and reopen with the store. The origin's Close
// calls it before the store closes; calling it again does nothing.
func (a *Audience) Close() {
	for _, cs := range a.states() {
		for _, pl := range cs.polls.all() {
			pl.halt()
		}
	}
}

// CheckPauseOptions validates the poll options of a pause request (the
// origin calls it before anything changes).
func (a *Audience) CheckPauseOptions(opts []string) ([]string, error) {
	return ValidatePollOptions(opts)
}

// PauseStarting writes the record of the poll a new pause opens (not
// synced: the pause record's fsync that follows covers it); after opens the
// poll once the pause is durable. Called with ch's lock held.
func (a *Audience) PauseStarting(ch *origin.Channel, p origin.Pause, opts []string) (func(), error) {
	cs := a.state(ch)
	rec, err := a.preparePoll(ch, p, opts)
	if err != nil {
		a.log.Error("open poll", "channel", ch.ID(), "pause", p.ID, "err", err)
		return nil, err
	}
	return func() { a.startPoll(cs, rec) }, nil
}

// PauseEnding closes the pause's poll at end (its votes written, its
// result recorded, not synced: the pause's fsync that follows covers it);
// after marks the result durable and emits it. Called with ch's lock held.
func (a *Audience) PauseEnding(ch *origin.Channel, p origin.Pause, end time.Time) func() {
	pl := a.state(ch).polls.get(p.ID)
	if pl == nil {
		return nil
	}
	if _, err := pl.close(end, false); err != nil {
		a.log.Error("close poll", "channel", ch.ID(), "poll", p.ID, "err", err)
	}
	return func() {
		pl.markDurable()
		ch.Emit("poll_result", pl.view(""))
	}
}
