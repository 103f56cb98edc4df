package origin

import (
	"time"

	"hlsorigin/manifest"
	"hlsorigin/timeline"
)

// The end of a session: the encoder's EXT-X-ENDLIST or a DELETE of its
// playlists, or -end-after without host media (decided by timeline,
// applied here). See clock.go.

// endSession ends the session: every live media playlist is rendered
// with EXT-X-ENDLIST. Called with mu held.
func (ch *Channel) endSession(why timeline.EndReason, now time.Time) {
	ch.rec.EndedAt = now.UTC()
	if err := ch.saveLocked(); err != nil {
		ch.o.log.Error("end session", "channel", ch.rec.ID, "err", err)
	}
	ch.clk.lost, ch.clk.endReq, ch.clk.encEnded, ch.clk.endWait = false, time.Time{}, nil, nil
	ch.republishLocked()
	ch.o.log.Info("session ended", "channel", ch.rec.ID, "reason", why)
	ch.clockEvent(EventEnded, map[string]any{"at": ch.rec.EndedAt, "reason": why})
}

// noteIngestEnd follows the encoder's playlist of r: with EXT-X-ENDLIST
// the rendition has ended once its last listed segment is committed (an
// HTTP client may deliver that one after the playlist); without it, an
// earlier end request of r is withdrawn (a new encoder). Called with mu
// held.
func (ch *Channel) noteIngestEnd(r *Rendition, m *manifest.IngestMedia, now time.Time) {
	if !m.Ended {
		if ch.clk.encEnded[r.name] || ch.clk.endWait[r.name] != "" {
			delete(ch.clk.encEnded, r.name)
			delete(ch.clk.endWait, r.name)
			if len(ch.clk.encEnded)+len(ch.clk.endWait) == 0 {
				ch.clk.endReq = time.Time{}
			}
		}
		return
	}
	last := ""
	if n := len(m.Segments); n > 0 {
		last = m.Segments[n-1].URI
	}
	if _, committed := ch.recent[last]; last != "" && !committed {
		if ch.clk.endWait == nil {
			ch.clk.endWait = map[string]string{}
		}
		ch.clk.endWait[r.name] = last
	} else {
		ch.encoderEnded(r.name, now)
	}
	if ch.clk.endReq.IsZero() {
		ch.clk.endReq = now
	}
}

// encoderEnded notes that the encoder ended rendition name's playlist.
// Called with mu held.
func (ch *Channel) encoderEnded(name string, now time.Time) {
	if ch.clk.encEnded == nil {
		ch.clk.encEnded = map[string]bool{}
	}
	ch.clk.encEnded[name] = true
	if ch.clk.endReq.IsZero() {
		ch.clk.endReq = now
	}
}

// EndIngest ends an ingest playlist as an encoder does with a DELETE of
// it: once every rendition ended (or half a target duration later), the
// session ends. Other names change nothing.
func (ch *Channel) EndIngest(name string) error {
	if KindOf(name) != FilePlaylist {
		return nil
	}
	ch.ingestMu.Lock()
	ch.mu.Lock()
	stem := name[:len(name)-len(".m3u8")]
	if ch.rends[stem] != nil {
		ch.encoderEnded(stem, ch.o.cfg.Now())
	}
	ch.mu.Unlock()
	ch.ingestMu.Unlock()
	ch.tick(true)
	return nil
}
