package origin

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
	"time"

	"hlsorigin/manifest"
	"hlsorigin/segments"
)

// FileKind classifies an ingest file name.
type FileKind int

// Ingest file kinds, by extension.
const (
	FileUnknown FileKind = iota
	FilePlaylist
	FileInit
	FileSegment
)

// KindOf tells what an ingest file name is: *.m3u8 playlists, *.mp4 init
// segments, *.m4s (and CMAF .cmfv/.cmfa) media segments.
func KindOf(name string) FileKind {
	switch strings.ToLower(path.Ext(name)) {
	case ".m3u8":
		return FilePlaylist
	case ".mp4", ".cmfi":
		return FileInit
	case ".m4s", ".cmfv", ".cmfa", ".cmfm":
		return FileSegment
	}
	return FileUnknown
}

// Ingest stores one file PUT by an encoder. It returns only after a media
// segment is in the store (or staged there); errors wrap ErrBadMedia,
// ErrInvalid, ErrTooLong, ErrTooLarge or ErrStorage.
func (ch *Channel) Ingest(name string, body []byte) error {
	if !validFileName(name) {
		return fmt.Errorf("file name %q: letters, digits, '.', '_' or '-' only: %w", name, ErrInvalid)
	}
	if len(body) > ch.o.cfg.MaxSegmentBytes {
		return fmt.Errorf("%s: %d bytes, limit %d: %w", name, len(body), ch.o.cfg.MaxSegmentBytes, ErrTooLarge)
	}
	ch.ingestMu.Lock()
	defer ch.ingestMu.Unlock()
	now := ch.o.cfg.Now()
	switch KindOf(name) {
	case FilePlaylist:
		return ch.ingestPlaylist(name, body, now)
	case FileInit:
		return ch.ingestInit(name, body, now)
	case FileSegment:
		return ch.ingestSegment(name, body, now)
	}
	return fmt.Errorf("file %q: expected .m3u8, .mp4 or .m4s: %w", name, ErrInvalid)
}

func bodyHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:12])
}

func (ch *Channel) ingestInit(name string, body []byte, now time.Time) error {
	in, err := segments.ParseInit(body)
	if err != nil {
		return fmt.Errorf("init %s: %w: %v", name, ErrBadMedia, err)
	}
	in.Raw = append([]byte(nil), body...)
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if rn, ok := ch.rec.InitOwner[name]; ok && ch.rends[rn] != nil {
		return ch.rends[rn].setInit(in)
	}
	if err := ch.o.store.PutInit(ch.rec.ID, pendingInitKey(name), 0, in.Raw); err != nil {
		return storageErr("stage init", err)
	}
	ch.pendingInits[name] = in
	if contains(ch.rec.PendingInits, name) {
		return nil
	}
	ch.rec.PendingInits = append(ch.rec.PendingInits, name)
	return ch.saveLocked()
}

// pendingInitKey names an init that no playlist has claimed yet.
func pendingInitKey(name string) string { return "pending." + name }

func (ch *Channel) ingestSegment(name string, body []byte, now time.Time) error {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	h := bodyHash(body)
	if ch.recent[name] == h {
		return nil // the same bytes again: idempotent
	}
	if st, ok := ch.staged[name]; ok && st.hash == h {
		return nil
	}
	if r := ch.resolve(name); r != nil && len(r.inits) > 0 {
		if r.resent(name, body) {
			return nil
		}
		if !r.holdBack(name) {
			if err := r.commit(name, body, h, now); err != nil {
				return err
			}
			r.drain(now)
			return nil
		}
	}
	if _, err := segments.Probe(body); err != nil {
		return fmt.Errorf("segment %s: %w: %v", name, ErrBadMedia, err)
	}
	st := stagedSegment{at: now, hash: h}
	if ch.openPause() != nil {
		// Paused: its video may be the host's, so it never reaches disk.
		st.mem = append([]byte(nil), body...)
	} else if err := ch.o.store.PutStaged(ch.rec.ID, name, now, []byte(h), body); err != nil {
		return storageErr("stage segment", err)
	}
	ch.staged[name] = st
	if r := ch.resolve(name); r != nil {
		r.pending = append(r.pending, name)
	}
	return nil
}

// resolve finds the rendition of a segment name from the prefixes learned
// from earlier playlists: the longest prefix whose remainder is an optional
// '_' or '-', digits and an extension.
func (ch *Channel) resolve(name string) *Rendition {
	best := ch.prefixFor(name)
	if best == "" {
		return nil
	}
	return ch.rends[ch.rec.Prefixes[best]]
}

// prefixFor is the longest learned prefix of a segment name, or "".
func (ch *Channel) prefixFor(name string) string {
	best := ""
	for p := range ch.rec.Prefixes {
		if len(p) > len(best) && strings.HasPrefix(name, p) && numberedRest(name[len(p):]) {
			best = p
		}
	}
	return best
}

func numberedRest(s string) bool {
	s = strings.TrimLeft(s, "_-")
	ext := path.Ext(s)
	digits := strings.TrimSuffix(s, ext)
	if digits == "" || ext == "" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// prefixOf derives the learned prefix of a segment URI: the playlist stem
// when the URI starts with it (ffmpeg's default naming), else the URI
// without its trailing digits and extension.
func prefixOf(uri, stem string) string {
	if strings.HasPrefix(uri, stem) && numberedRest(uri[len(stem):]) {
		return stem
	}
	base := strings.TrimSuffix(uri, path.Ext(uri))
	return strings.TrimRight(base, "0123456789")
}

func (ch *Channel) ingestPlaylist(name string, body []byte, now time.Time) error {
	pl, err := manifest.ParseIngest(body)
	if err != nil {
		return fmt.Errorf("playlist %s: %w: %v", name, ErrInvalid, err)
	}
	if pl.Media == nil { // a multivariant: ours is built from what we receive, at the bandwidths it declares
		ch.mu.Lock()
		defer ch.mu.Unlock()
		ch.learnDeclared(pl.Master)
		return nil
	}
	stem := strings.TrimSuffix(name, path.Ext(name))
	ch.mu.Lock()
	defer ch.mu.Unlock()
	r := ch.rends[stem]
	if r == nil {
		r = newRendition(ch, stem)
		ch.rends[stem] = r
	}
	if err := ch.learn(r, pl.Media); err != nil {
		return err
	}
	if err := r.commitPending(pl.Media, now); err != nil {
		return err
	}
	r.learnEncoderClock(pl.Media)      // EXT-X-PROGRAM-DATE-TIME: exact cut (enctime.go)
	ch.noteIngestEnd(r, pl.Media, now) // EXT-X-ENDLIST: the clock ends the session (clock.go)
	return nil
}

// learn records which init and which segment names belong to r.
func (ch *Channel) learn(r *Rendition, m *manifest.IngestMedia) error {
	changed := false
	for _, s := range m.Segments {
		if s.MapURI != "" && ch.rec.InitOwner[s.MapURI] != r.name {
			ch.rec.InitOwner[s.MapURI] = r.name
			r.rec.InitName = s.MapURI
			changed = true
		}
		p := prefixOf(s.URI, r.name)
		if p != "" && ch.rec.Prefixes[p] != r.name {
			ch.rec.Prefixes[p] = r.name
			changed = true
		}
	}
	if in := ch.pendingInits[r.rec.InitName]; in != nil && r.rec.InitName != "" {
		delete(ch.pendingInits, r.rec.InitName)
		ch.rec.PendingInits = remove(ch.rec.PendingInits, r.rec.InitName)
		changed = true
		if err := r.setInit(in); err != nil {
			return err
		}
	}
	if !changed {
		return nil
	}
	return ch.saveLocked()
}

// commitPending commits staged segments named by the playlist, in order.
func (r *Rendition) commitPending(m *manifest.IngestMedia, now time.Time) error {
	if len(r.inits) == 0 {
		for _, s := range m.Segments {
			if _, ok := r.ch.staged[s.URI]; ok && !contains(r.pending, s.URI) {
				r.pending = append(r.pending, s.URI)
			}
		}
		return nil
	}
	for _, s := range m.Segments {
		if _, ok := r.ch.staged[s.URI]; ok && !contains(r.pending, s.URI) {
			r.pending = append(r.pending, s.URI)
		}
	}
	r.drain(now)
	return nil
}

func (r *Rendition) commitStaged(name string, now time.Time) error {
	st, ok := r.ch.staged[name]
	if !ok {
		return nil
	}
	delete(r.ch.staged, name)
	if st.mem != nil {
		return r.commit(name, st.mem, st.hash, st.at)
	}
	data, _, _, err := r.ch.o.store.Staged(r.ch.rec.ID, name)
	if err != nil {
		return storageErr("read staged", err)
	}
	err = r.commit(name, data, st.hash, st.at)
	if derr := r.ch.o.store.DeleteStaged(r.ch.rec.ID, name); derr != nil && err == nil {
		err = storageErr("delete staged", derr)
	}
	return err
}

func remove(ss []string, s string) []string {
	out := ss[:0]
	for _, x := range ss {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// resent reports a segment PUT again under a recently committed name with
// the same start (ffmpeg rewrites its last segment when it stops): the
// stored one stands, the PUT is acknowledged. Called with ch.mu held.
func (r *Rendition) resent(name string, body []byte) bool {
	if _, ok := r.ch.recent[name]; !ok {
		return false
	}
	p, err := segments.Probe(body)
	if err != nil {
		return false
	}
	for i := len(r.segs) - 1; i >= 0 && i >= len(r.segs)-32; i-- {
		s := r.segs[i]
		if s.Name != name || s.Kind != "" || len(s.Starts) == 0 {
			continue
		}
		for id, t := range p.BaseDecodeTimes {
			if s.Starts[id] != t {
				return false
			}
		}
		r.ch.o.log.Debug("segment sent again, kept the first", "channel", r.ch.rec.ID, "name", name)
		return true
	}
	return false
}
