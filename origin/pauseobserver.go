package origin

import (
	"fmt"
	"time"
)

// PauseObserver learns of pauses and resumes and writes its own records in
// the pause's durable batch (the audience: a pause opens its poll, a
// resume closes it). Set it with SetPauseObserver before ingest starts.
//
// Lock order: Channel.mu is held when PauseStarting and PauseEnding are
// called, so the observer's own locks come after it; they must not call
// into the channel except its lock-free methods (ID, Title, Emit).
type PauseObserver interface {
	// CheckPauseOptions validates the options of a pause request (or of a
	// channel's next pauses) and returns them cleaned. Called without locks,
	// before anything changes.
	CheckPauseOptions(opts []string) ([]string, error)
	// PauseStarting is called with the channel's lock held before the pause
	// is made durable; what it writes (non-durable) is covered by the
	// pause's fsync. opts are the request's cleaned options, else the
	// channel's stored ones (empty: the observer's defaults). after (may be
	// nil) runs once the pause is durable and announced; err (the pause
	// still succeeds, after does not run) is reported in Pause.PollError.
	PauseStarting(ch *Channel, p Pause, opts []string) (after func(), err error)
	// PauseEnding is called with the channel's lock held before the ended
	// pause is made durable (same batch); after (may be nil) runs once it is
	// durable and announced.
	PauseEnding(ch *Channel, p Pause, end time.Time) (after func())
	// Close stops the observer's background writers; Origin.Close calls it
	// before the store closes.
	Close()
}

// SetPauseObserver installs the pause observer (the audience). Call before
// ingest starts.
func (o *Origin) SetPauseObserver(obs PauseObserver) { o.pauseObs = obs }

// PauseObserver returns the installed pause observer (nil: none).
func (o *Origin) PauseObserver() PauseObserver { return o.pauseObs }

// checkPauseOptions cleans a request's options through the observer.
func (o *Origin) checkPauseOptions(opts []string) ([]string, error) {
	if o.pauseObs == nil {
		return nil, fmt.Errorf("poll_options: no audience on this origin: %w", ErrInvalid)
	}
	return o.pauseObs.CheckPauseOptions(opts)
}

// pauseStarting calls the observer (ch.mu held): see PauseStarting.
func (ch *Channel) pauseStarting(p Pause, opts []string) (func(), error) {
	if ch.o.pauseObs == nil {
		return nil, nil
	}
	if opts == nil {
		opts = append([]string(nil), ch.rec.PollOptions...)
	}
	return ch.o.pauseObs.PauseStarting(ch, p, opts)
}

// pauseEnding calls the observer (ch.mu held): see PauseEnding.
func (ch *Channel) pauseEnding(p Pause, end time.Time) func() {
	if ch.o.pauseObs == nil {
		return nil
	}
	return ch.o.pauseObs.PauseEnding(ch, p, end)
}

// PollOptions returns the poll options stored for the channel's next
// pauses (nil: the observer's defaults). The origin keeps them in the
// channel record without reading them.
func (ch *Channel) PollOptions() []string {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return append([]string(nil), ch.rec.PollOptions...)
}

// SetPollOptions stores the poll options of the channel's next pauses
// (nil or empty: the defaults), validated through the pause observer.
func (ch *Channel) SetPollOptions(opts []string) error {
	var clean []string
	if len(opts) > 0 {
		var err error
		if clean, err = ch.o.checkPauseOptions(opts); err != nil {
			return err
		}
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	old := ch.rec.PollOptions
	ch.rec.PollOptions = clean
	if err := ch.saveLocked(); err != nil {
		ch.rec.PollOptions = old
		return err
	}
	return nil
}
