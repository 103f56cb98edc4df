package audience

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"hlsorigin/origin"
)

// ChatMessage is one viewer message on a channel.
type ChatMessage struct {
	ID     uint64    `json:"id"`
	Viewer string    `json:"viewer"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
}

// ChatKeep is how many recent messages a channel keeps (in memory and in
// the store): what the pages show and what topic matching reads.
const ChatKeep = 200

// MaxChatRunes bounds one message.
const MaxChatRunes = 280

type chatLog struct {
	mu   sync.Mutex
	msgs []ChatMessage // oldest first
	last uint64
}

// Chat posts a viewer message: validated, kept (the oldest beyond ChatKeep
// is forgotten) and emitted as a "chat" event.
func (a *Audience) Chat(ch *origin.Channel, v Viewer, text string) (ChatMessage, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return ChatMessage{}, fmt.Errorf("chat text is empty: %w", origin.ErrInvalid)
	case !utf8.ValidString(text):
		return ChatMessage{}, fmt.Errorf("chat text is not UTF-8: %w", origin.ErrInvalid)
	case utf8.RuneCountInString(text) > MaxChatRunes:
		return ChatMessage{}, fmt.Errorf("chat text longer than %d characters: %w", MaxChatRunes, origin.ErrInvalid)
	case strings.IndexFunc(text, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) >= 0:
		return ChatMessage{}, fmt.Errorf("chat text holds control characters: %w", origin.ErrInvalid)
	}
	c := &a.state(ch).chat
	c.mu.Lock()
	defer c.mu.Unlock()
	now := a.now().UTC()
	id := uint64(now.UnixMicro())
	if id <= c.last {
		id = c.last + 1
	}
	m := ChatMessage{ID: id, Viewer: v.ID, Text: text, At: now}
	b, err := json.Marshal(m)
	if err != nil {
		return ChatMessage{}, err
	}
	if err := a.st.PutRecord("ch", []string{ch.ID(), chatKey(id)}, b, false); err != nil {
		return ChatMessage{}, origin.StorageErr("save chat", err)
	}
	c.last = id
	c.msgs = append(c.msgs, m)
	if len(c.msgs) > ChatKeep {
		old := c.msgs[0]
		c.msgs = append(c.msgs[:0], c.msgs[1:]...)
		if err := a.st.DeleteRecord("ch", []string{ch.ID(), chatKey(old.ID)}); err != nil {
			a.log.Warn("forget chat message", "channel", ch.ID(), "err", err)
		}
	}
	ch.Emit("chat", m)
	return m, nil
}

// RecentChat returns up to n of the latest messages, oldest first.
func (a *Audience) RecentChat(ch *origin.Channel, n int) []ChatMessage {
	c := &a.state(ch).chat
	c.mu.Lock()
	defer c.mu.Unlock()
	if n <= 0 || n > len(c.msgs) {
		n = len(c.msgs)
	}
	return append([]ChatMessage(nil), c.msgs[len(c.msgs)-n:]...)
}

// chatKey sorts numerically as a string.
func chatKey(id uint64) string { return fmt.Sprintf("%020s", strconv.FormatUint(id, 10)) }

// loadChat reads the kept messages back.
func (a *Audience) loadChat(cs *channelState) error {
	c := &cs.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	var bad error
	err := a.st.Records("ch", []string{cs.ch.ID()}, func(_ []string, val []byte) bool {
		var m ChatMessage
		if err := json.Unmarshal(val, &m); err != nil {
			bad = fmt.Errorf("chat record: %w", err)
			return false
		}
		c.msgs = append(c.msgs, m)
		c.last = max(c.last, m.ID)
		return true
	})
	if err == nil {
		err = bad
	}
	if len(c.msgs) > ChatKeep {
		c.msgs = c.msgs[len(c.msgs)-ChatKeep:]
	}
	return err
}
