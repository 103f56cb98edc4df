package slatelib

import (
	"fmt"

	"hlsorigin/origin"
	"hlsorigin/slate/topic"
)

// Weights of a channel's key information in topic matching.
const (
	weightTitle   = 3 // the current title and the channel's tags
	weightHistory = 1 // each past session title or title change, and its tags
	weightChat    = 1 // each recent chat message
)

// MatchExplanation is the ranking of presets for a channel.
type MatchExplanation struct {
	Channel   string             `json:"channel"`
	Threshold float64            `json:"threshold"`
	Min       float64            `json:"min"`
	Choice    origin.SlateChoice `json:"choice"` // what a pause without "slate" would show now
	Terms     []topic.Term       `json:"terms"`  // heaviest query terms (TF-IDF)
	Ranking   []topic.Score      `json:"ranking"`
	Sources   MatchSources       `json:"sources"`
}

// MatchSources counts what the query was built from.
type MatchSources struct {
	Title   string   `json:"title"`
	Tags    []string `json:"tags"`
	History int      `json:"history"`
	Chat    int      `json:"chat"`
}

// query builds the weighted texts of a channel. Takes no channel lock.
func (l *Library) queryLocked(ch *origin.Channel) ([]topic.Weighted, MatchSources) {
	src := MatchSources{Title: ch.Title(), Tags: append([]string{}, l.tags[ch.ID()]...)}
	ws := []topic.Weighted{{Text: src.Title, Weight: weightTitle}}
	for _, t := range src.Tags {
		ws = append(ws, topic.Weighted{Text: t, Weight: weightTitle})
	}
	for _, h := range l.history[ch.ID()] {
		ws = append(ws, topic.Weighted{Text: h.Title, Weight: weightHistory})
		for _, t := range h.Tags {
			ws = append(ws, topic.Weighted{Text: t, Weight: weightHistory})
		}
		src.History++
	}
	for _, m := range l.recentChat(ch) {
		ws = append(ws, topic.Weighted{Text: m.Text, Weight: weightChat})
		src.Chat++
	}
	return ws, src
}

// Match explains the preset ranking for a channel.
func (l *Library) Match(ch *origin.Channel, topTerms int) MatchExplanation {
	l.mu.RLock()
	defer l.mu.RUnlock()
	ws, src := l.queryLocked(ch)
	q := l.model.Query(ws)
	return MatchExplanation{Channel: ch.ID(), Threshold: l.cfg.MatchThreshold, Min: l.cfg.MatchMin,
		Choice: l.pickLocked(ch, ""), Terms: topic.TopTerms(q, topTerms), Ranking: l.model.Rank(q, topTerms), Sources: src}
}

// pick is the SlatePicker: the requested slate when usable (else the
// default, saying why); else the channel's default slate when usable; else
// the best preset by topic when it scores at least the threshold ("matched")
// or at least the minimum ("best match"); else the default slate. Called
// with ch.mu held: reads only the library and the chat log.
func (l *Library) pick(ch *origin.Channel, requested string) origin.SlateChoice {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.pickLocked(ch, requested)
}

func (l *Library) pickLocked(ch *origin.Channel, requested string) origin.SlateChoice {
	if requested != "" {
		if ok, why := l.usableByLocked(ch, requested); !ok {
			return origin.SlateChoice{ID: origin.DefaultSlateID, Reason: fmt.Sprintf("requested %s; default used", why)}
		}
		return origin.SlateChoice{ID: requested, Reason: "requested"}
	}
	prefix := ""
	if def := l.defaults[ch.ID()]; def != "" {
		ok, why := l.usableByLocked(ch, def)
		if ok {
			return origin.SlateChoice{ID: def, Reason: "channel default"}
		}
		prefix = "channel default " + why + "; "
	}
	ws, _ := l.queryLocked(ch)
	rank := l.model.Rank(l.model.Query(ws), 0)
	if len(rank) > 0 && l.o.HasSlate(rank[0].ID) {
		best := rank[0]
		switch {
		case best.Score >= l.cfg.MatchThreshold:
			return origin.SlateChoice{ID: best.ID, Reason: fmt.Sprintf("%smatched %s (%.2f)", prefix, best.ID, best.Score)}
		case best.Score >= l.cfg.MatchMin:
			return origin.SlateChoice{ID: best.ID, Reason: fmt.Sprintf("%sbest match %s (%.2f, below threshold %.2f)",
				prefix, best.ID, best.Score, l.cfg.MatchThreshold)}
		}
	}
	return origin.SlateChoice{ID: origin.DefaultSlateID, Reason: prefix + "default"}
}
