package store

import (
	"fmt"
	"sync"
	"time"
)

// Badger writes its value log and memtable WAL through mmapped sparse files:
// on a full disk a write faults with SIGBUS instead of returning ENOSPC.
// The guard refuses writes with ErrDiskFull while free space on Dir is
// below Options.MinFreeBytes, so the process never gets that far.
const guardRefresh = 500 * time.Millisecond

type diskGuard struct {
	dir string
	min int64 // < 0: off

	mu      sync.Mutex
	checked time.Time
	free    int64
	known   bool
}

// check returns ErrDiskFull when free space minus need is below the reserve.
func (g *diskGuard) check(need int) error {
	if g.min < 0 {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if now := time.Now(); now.Sub(g.checked) > guardRefresh {
		g.free, g.known = freeBytes(g.dir)
		g.checked = now
	}
	if !g.known {
		return nil
	}
	if g.free-int64(need) < g.min {
		return fmt.Errorf("%w: %d bytes free on %s, reserve %d", ErrDiskFull, g.free, g.dir, g.min)
	}
	g.free -= int64(need) // until the next refresh
	return nil
}
