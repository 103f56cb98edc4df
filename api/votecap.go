package api

import (
	"fmt"
	"sync"

	"hlsorigin/audience"
	"hlsorigin/origin"
)

// Per-address voter caps. Viewer tokens are cheap to get, so without a cap
// one address could vote once per token. Each poll counts the distinct
// viewers that voted from each client address (IPv4, or IPv6 /64): at
// most Options.MaxVotersPerIP (default 20) per address per poll; a viewer
// already counted may change its vote freely. The counts live in memory
// for the latest poll of each channel (a restart forgets them).

// DefaultMaxVotersPerIP is the voter cap per address per poll.
const DefaultMaxVotersPerIP = 20

type voteCaps struct {
	mu    sync.Mutex
	polls map[string]*pollVoters // channel -> its latest poll's voters
}

type pollVoters struct {
	poll   string
	byAddr map[string]map[string]bool // client key -> viewer -> counted (false: reserved)
}

// reserve takes a voter slot of the channel's open poll for viewer at
// addr; done(ok) keeps it (ok) or gives it back. Over the cap it refuses
// with 429.
func (vc *voteCaps) reserve(aud *audience.Audience, ch *origin.Channel, addr, viewer string, limit int) (done func(ok bool), err error) {
	noop := func(bool) {}
	pv, err := aud.Poll(ch, "", "")
	if err != nil || pv.State != "open" || limit <= 0 {
		return noop, nil // the vote itself says why it fails
	}
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if vc.polls == nil {
		vc.polls = map[string]*pollVoters{}
	}
	p := vc.polls[ch.ID()]
	if p == nil || p.poll != pv.ID {
		p = &pollVoters{poll: pv.ID, byAddr: map[string]map[string]bool{}}
		vc.polls[ch.ID()] = p
	}
	voters := p.byAddr[addr]
	if _, ok := voters[viewer]; ok {
		return noop, nil
	}
	if len(voters) >= limit {
		return nil, fmt.Errorf("%d viewers already voted from this address in this poll (at most %d): %w", len(voters), limit, origin.ErrRateLimited)
	}
	if voters == nil {
		voters = map[string]bool{}
		p.byAddr[addr] = voters
	}
	voters[viewer] = false
	return func(ok bool) {
		vc.mu.Lock()
		defer vc.mu.Unlock()
		if ok {
			voters[viewer] = true
		} else if !voters[viewer] {
			delete(voters, viewer)
		}
	}, nil
}
