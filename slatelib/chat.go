package slatelib

import (
	"hlsorigin/audience"
	"hlsorigin/origin"
)

// ChatReader is what topic matching reads of a channel's audience: its
// recent chat, oldest first. The audience (the origin's pause observer)
// is one; it must not take the channel's lock (the picker holds it).
type ChatReader interface {
	RecentChat(ch *origin.Channel, n int) []audience.ChatMessage
}

// recentChat returns the chat topic matching reads: the latest
// chatForMatch messages of the origin's audience (none without one).
func (l *Library) recentChat(ch *origin.Channel) []audience.ChatMessage {
	if r, ok := l.o.PauseObserver().(ChatReader); ok {
		return r.RecentChat(ch, chatForMatch)
	}
	return nil
}
