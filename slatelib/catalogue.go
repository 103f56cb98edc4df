package slatelib

import (
	"encoding/json"
	"fmt"
	"sort"

	"hlsorigin/fixtures"
	"hlsorigin/origin"
	"hlsorigin/slate"
	"hlsorigin/slate/topic"
)

func (l *Library) loadBundled() error {
	ps, err := fixtures.Presets()
	if err != nil {
		return fmt.Errorf("bundled presets: %w", err)
	}
	for _, p := range ps {
		m := &Meta{ID: p.ID, Title: p.Title, Tags: p.Tags, Description: p.Description, Status: Approved,
			Bundled: true}
		if p.ID != origin.DefaultSlateID {
			vs, err := loadPreset(p)
			if err != nil {
				return err
			}
			l.o.PutSlate(p.ID, vs)
			m.Width, m.Height = vs[0].Width, vs[0].Height
			for _, v := range vs {
				m.Variants = append(m.Variants, fmt.Sprintf("%dx%d", v.Width, v.Height))
			}
		} else if d := l.o.SlateVariant(origin.DefaultSlateID, 1920, 1080); d != nil {
			m.Width, m.Height = d.Width, d.Height
		}
		l.metas[p.ID] = m
	}
	return nil
}

// loadPreset loads a bundled preset's variants (every ladder height).
func loadPreset(p fixtures.Preset) ([]*slate.Slate, error) {
	var vs []*slate.Slate
	for _, h := range fixtures.SlateHeights() {
		file, err := fixtures.PresetVariant(p, h)
		if err != nil {
			return nil, fmt.Errorf("preset %s: %w", p.ID, err)
		}
		sl, err := slate.Load(fmt.Sprintf("%s_%d", p.ID, h), file)
		if err != nil {
			return nil, fmt.Errorf("preset %s %dp: %w", p.ID, h, err)
		}
		vs = append(vs, sl)
	}
	return vs, nil
}

// Record layout (kind "sl"): m/<id> metadata, v/<id> media (CMAF, the
// largest variant), x/<id>/<WxH> the other variants, a/<id> the slate's own
// audio (fragmented AAC),
// d/<channel> a channel's default slate id, t/<channel> its topic tags.
// History (kind "sh"): <channel>/<time key>.
func (l *Library) loadStored() error {
	st := l.o.Store()
	var bad error
	err := st.Records("sl", []string{"m"}, func(_ []string, val []byte) bool {
		var m Meta
		if err := json.Unmarshal(val, &m); err != nil {
			bad = fmt.Errorf("slate record: %w", err)
			return false
		}
		l.metas[m.ID] = &m
		return true
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return err
	}
	for id, m := range l.metas {
		if m.Status == Processing { // the conversion died with the previous process
			m.Status, m.Reason = Rejected, "conversion interrupted by a restart: upload again"
			l.dropMedia(id)
			if b, err := json.Marshal(m); err == nil {
				_ = st.PutRecord("sl", []string{"m", id}, b, true)
			}
			continue
		}
		if m.Bundled || m.Status != Approved {
			continue
		}
		vs, err := l.variantsOf(id)
		if err != nil {
			l.log.Warn("slate media missing or unreadable: slate not shown", "slate", id, "err", err)
			m.Status, m.Reason = Rejected, "media missing or unreadable"
			continue
		}
		l.o.PutSlate(id, vs)
	}
	_ = st.Records("sl", []string{"d"}, func(parts []string, val []byte) bool {
		l.defaults[parts[len(parts)-1]] = string(val)
		return true
	})
	_ = st.Records("sl", []string{"t"}, func(parts []string, val []byte) bool {
		var tags []string
		if json.Unmarshal(val, &tags) == nil {
			l.tags[parts[len(parts)-1]] = tags
		}
		return true
	})
	return st.Records("sh", nil, func(parts []string, val []byte) bool {
		var h HistoryEntry
		if len(parts) == 2 && json.Unmarshal(val, &h) == nil {
			l.history[parts[0]] = append(l.history[parts[0]], h)
		}
		return true
	})
}

// rebuildModel recomputes the TF-IDF model over the approved presets.
// Called with l.mu held (or before the library is shared).
func (l *Library) rebuildModel() {
	var docs []topic.Doc
	for _, m := range l.presetsLocked() {
		docs = append(docs, topic.Doc{ID: m.ID, Text: append([]string{m.Title, m.Description}, m.Tags...)})
	}
	l.model = topic.NewModel(docs)
}

func (l *Library) presetsLocked() []*Meta {
	var out []*Meta
	for _, m := range l.metas {
		if m.Owner == "" && m.Status == Approved {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Bundled != out[j].Bundled {
			return out[i].Bundled
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Presets lists the system presets (bundled first).
func (l *Library) Presets() []Meta {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []Meta
	for _, m := range l.metas {
		if m.Owner == "" {
			out = append(out, *m)
		}
	}
	sortMetas(out)
	return out
}

// ChannelSlates lists a channel's own slates, newest first.
func (l *Library) ChannelSlates(ch *origin.Channel) []Meta {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := []Meta{}
	for _, m := range l.metas {
		if m.Owner == ch.ID() {
			out = append(out, *m)
		}
	}
	sortMetas(out)
	return out
}

func sortMetas(ms []Meta) {
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].Bundled != ms[j].Bundled {
			return ms[i].Bundled
		}
		if !ms[i].CreatedAt.Equal(ms[j].CreatedAt) {
			return ms[i].CreatedAt.After(ms[j].CreatedAt)
		}
		return ms[i].ID < ms[j].ID
	})
}

// Meta returns one slate's metadata.
func (l *Library) Meta(id string) (Meta, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if m := l.metas[id]; m != nil {
		return *m, nil
	}
	return Meta{}, fmt.Errorf("slate %q: %w", id, ErrNotFound)
}
