package slatelib

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"hlsorigin/origin"
)

// usableBy says whether ch may show slate id, and if not why.
func (l *Library) usableByLocked(ch *origin.Channel, id string) (bool, string) {
	m := l.metas[id]
	switch {
	case m == nil:
		return false, fmt.Sprintf("slate %q not found", id)
	case m.Owner != "" && m.Owner != ch.ID():
		return false, fmt.Sprintf("slate %q belongs to another channel", id)
	case m.Status == Rejected:
		return false, fmt.Sprintf("slate %q rejected: %s", id, m.Reason)
	case m.Status == Processing:
		return false, fmt.Sprintf("slate %q is still converting", id)
	case m.Status != Approved:
		return false, fmt.Sprintf("slate %q is %s moderation", id, m.Status)
	case !l.o.HasSlate(id):
		return false, fmt.Sprintf("slate %q has no media", id)
	}
	return true, ""
}

// SetChannelDefault makes an approved slate (own or preset) the one a
// pause of ch shows unless the pause asks for another; "" clears it.
func (l *Library) SetChannelDefault(ch *origin.Channel, id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if id == "" {
		if err := l.o.Store().DeleteRecord("sl", []string{"d", ch.ID()}); err != nil {
			return origin.StorageErr("clear default slate", err)
		}
		delete(l.defaults, ch.ID())
		return nil
	}
	if ok, why := l.usableByLocked(ch, id); !ok {
		if l.metas[id] == nil {
			return fmt.Errorf("%s: %w", why, ErrNotFound)
		}
		return fmt.Errorf("%s: %w", why, ErrConflict)
	}
	if err := l.o.Store().PutRecord("sl", []string{"d", ch.ID()}, []byte(id), true); err != nil {
		return origin.StorageErr("save default slate", err)
	}
	l.defaults[ch.ID()] = id
	return nil
}

// ChannelDefault returns a channel's default slate id ("" when unset).
func (l *Library) ChannelDefault(ch *origin.Channel) string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.defaults[ch.ID()]
}

// SetChannelTags sets the topic tags of a channel (used by matching and
// recorded in its history).
func (l *Library) SetChannelTags(ch *origin.Channel, tags []string) error {
	tags, err := cleanTags(tags)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(tags)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.o.Store().PutRecord("sl", []string{"t", ch.ID()}, b, false); err != nil {
		return origin.StorageErr("save channel tags", err)
	}
	l.tags[ch.ID()] = tags
	l.noteLocked(ch, "title", ch.Title())
	return nil
}

// ChannelTags returns a channel's topic tags.
func (l *Library) ChannelTags(ch *origin.Channel) []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]string{}, l.tags[ch.ID()]...)
}

// History returns a channel's past sessions and titles, oldest first.
func (l *Library) History(ch *origin.Channel) []HistoryEntry {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]HistoryEntry{}, l.history[ch.ID()]...)
}

// SessionStarted records the start of a live session (called by ingest).
func (l *Library) SessionStarted(ch *origin.Channel) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.noteLocked(ch, "session", ch.Title())
}

// TitleChanged records a title change.
func (l *Library) TitleChanged(ch *origin.Channel, title string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.noteLocked(ch, "title", title)
}

func (l *Library) noteLocked(ch *origin.Channel, kind, title string) {
	hs := l.history[ch.ID()]
	tags := l.tags[ch.ID()]
	if n := len(hs); n > 0 && hs[n-1].Title == title && strings.Join(hs[n-1].Tags, ",") == strings.Join(tags, ",") {
		return // nothing new to learn from
	}
	now := l.now().UTC()
	if n := len(hs); n > 0 && !now.After(hs[n-1].At) {
		now = hs[n-1].At.Add(time.Microsecond)
	}
	h := HistoryEntry{At: now, Kind: kind, Title: title, Tags: append([]string(nil), tags...)}
	b, _ := json.Marshal(h)
	if err := l.o.Store().PutRecord("sh", []string{ch.ID(), historyKey(now)}, b, false); err != nil {
		l.log.Warn("record channel history", "channel", ch.ID(), "err", err)
		return
	}
	hs = append(hs, h)
	for len(hs) > historyKeep {
		_ = l.o.Store().DeleteRecord("sh", []string{ch.ID(), historyKey(hs[0].At)})
		hs = hs[1:]
	}
	l.history[ch.ID()] = hs
}

func historyKey(t time.Time) string {
	return fmt.Sprintf("%020s", strconv.FormatInt(t.UnixMicro(), 10))
}
