package slatelib

import "hlsorigin/origin"

// UsableSlates lists the slates ch may show: the default, the presets and
// its own approved uploads (the origin declares their codecs in the
// channel's multivariant).
func (l *Library) UsableSlates(ch *origin.Channel) map[string]bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := map[string]bool{origin.DefaultSlateID: true}
	for id, m := range l.metas {
		if m.Status == Approved && (m.Owner == "" || m.Owner == ch.ID()) {
			out[id] = true
		}
	}
	return out
}
