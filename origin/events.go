package origin

import (
	"encoding/json"
	"sync"
	"time"
)

// Event is one entry of a channel's live event stream (served as
// Server-Sent Events): paused, resumed, title, chat, poll, poll_result.
type Event struct {
	ID   uint64          `json:"id"`
	Type string          `json:"type"`
	At   time.Time       `json:"at"`
	Data json.RawMessage `json:"data"`
}

// eventBacklog is how many recent events a channel keeps for subscribers
// reconnecting with Last-Event-ID.
const eventBacklog = 1024

// subscriberBuffer is how far a subscriber may lag before it is dropped
// (it reconnects with Last-Event-ID and gets the backlog).
const subscriberBuffer = 256

// events is a channel's event log and fan-out. IDs increase across
// restarts: they start from the wall clock in microseconds.
type events struct {
	mu    sync.Mutex
	last  uint64
	floor uint64  // events with IDs below floor are unknown (before this process, or discarded)
	ring  []Event // oldest first, at most eventBacklog
	subs  map[*Subscription]struct{}
}

// Subscription receives a channel's events as they happen. C is closed
// when the subscription is cancelled or the subscriber lagged too far.
type Subscription struct {
	C      <-chan Event
	c      chan Event
	ev     *events
	closed bool
}

// Cancel ends the subscription.
func (s *Subscription) Cancel() {
	s.ev.mu.Lock()
	defer s.ev.mu.Unlock()
	s.ev.dropLocked(s)
}

func (e *events) dropLocked(s *Subscription) {
	if !s.closed {
		s.closed = true
		delete(e.subs, s)
		close(s.c)
	}
}

// Emit appends an event and fans it out. Subscribers that lag by more than
// subscriberBuffer events are dropped rather than slowing the channel.
func (ch *Channel) Emit(typ string, data any) Event {
	raw, err := json.Marshal(data)
	if err != nil {
		raw = []byte("null")
	}
	e := &ch.events
	e.mu.Lock()
	defer e.mu.Unlock()
	now := ch.o.cfg.Now().UTC()
	id := uint64(now.UnixMicro())
	if id <= e.last {
		id = e.last + 1
	}
	e.last = id
	ev := Event{ID: id, Type: typ, At: now, Data: raw}
	if len(e.ring) == eventBacklog {
		e.floor = e.ring[0].ID + 1
		copy(e.ring, e.ring[1:])
		e.ring = e.ring[:eventBacklog-1]
	}
	e.ring = append(e.ring, ev)
	for s := range e.subs {
		select {
		case s.c <- ev:
		default:
			e.dropLocked(s)
		}
	}
	return ev
}

// Subscribe returns the retained events after lastID (all retained events
// when lastID is 0 or older than the backlog; none when lastID is current)
// and a subscription to what follows, with nothing lost in between.
// complete is false when events after lastID were already discarded.
func (ch *Channel) Subscribe(lastID uint64) (backlog []Event, complete bool, sub *Subscription) {
	e := &ch.events
	e.mu.Lock()
	defer e.mu.Unlock()
	complete = true
	if lastID > 0 {
		i := 0
		for i < len(e.ring) && e.ring[i].ID <= lastID {
			i++
		}
		backlog = append(backlog, e.ring[i:]...)
		complete = lastID+1 >= e.floor
	}
	c := make(chan Event, subscriberBuffer)
	sub = &Subscription{C: c, c: c, ev: e}
	if e.subs == nil {
		e.subs = map[*Subscription]struct{}{}
	}
	e.subs[sub] = struct{}{}
	return backlog, complete, sub
}

// Subscribers is the number of open subscriptions.
func (ch *Channel) Subscribers() int {
	ch.events.mu.Lock()
	defer ch.events.mu.Unlock()
	return len(ch.events.subs)
}
