package origin

import (
	"fmt"

	"hlsorigin/segments"
)

// InitInfo returns the parsed init segment of a version (replays read the
// track timescales and sample rates from it).
func (r *Rendition) InitInfo(ver uint32) (*segments.Init, error) {
	r.ch.mu.Lock()
	in := r.inits[ver]
	r.ch.mu.Unlock()
	if in == nil {
		return nil, fmt.Errorf("init %d of %q: %w", ver, r.name, ErrNotFound)
	}
	return in, nil
}
