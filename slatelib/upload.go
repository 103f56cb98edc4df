package slatelib

import (
	"encoding/json"
	"errors"
	"fmt"

	"hlsorigin/origin"
	"hlsorigin/slate"
)

// Upload validates, moderates and stores an uploaded slate. owner is nil
// for a system preset (admin). Bad media or metadata is refused with
// nothing stored (ErrBadMedia, ErrInvalid, ErrTooLarge, ErrUnprocessable).
//
// An upload already in slate form (H.264 MP4, IDR first, no B-frames) is
// remuxed without re-encoding and settled at once: approved, or rejected
// with a reason (its media is then dropped). Anything else the converter
// takes (pictures, phone videos, HEVC, VP9, with or without audio) is
// probed now (refused with a 4xx when it is not convertible) and answered
// with status "processing": the conversion into slate variants runs in the
// background, then the slate becomes approved or rejected (Meta shows it).
func (l *Library) Upload(owner *origin.Channel, file []byte, up UploadInfo) (Meta, error) {
	cfg := l.Config()
	if len(file) > cfg.MaxUploadBytes {
		return Meta{}, fmt.Errorf("slate upload of %d bytes: at most %d: %w", len(file), cfg.MaxUploadBytes, ErrTooLarge)
	}
	var err error
	if up, err = cleanUpload(up); err != nil {
		return Meta{}, err
	}
	p, err := slate.PrepareUpload(file, cfg.Limits)
	if err != nil {
		if conv := l.converter(); conv != nil {
			return l.uploadConverted(conv, cfg, owner, file, up)
		}
		if errors.Is(err, slate.ErrUploadTooLarge) {
			return Meta{}, fmt.Errorf("%v: %w", err, ErrTooLarge)
		}
		return Meta{}, fmt.Errorf("%v: %w", err, ErrBadMedia)
	}
	if owner != nil {
		if err := checkChannelCodec(owner, p); err != nil {
			return Meta{}, err
		}
	}
	id, err := newSlateID()
	if err != nil {
		return Meta{}, err
	}
	m := Meta{ID: id, Title: up.Title, Tags: up.Tags, Description: up.Description, Status: Processing,
		CreatedAt: l.now().UTC()}
	if owner != nil {
		m.Owner = owner.ID()
		if term := Blocked(cfg.Blocklist, up); term != "" {
			m.Status, m.Reason = Rejected, fmt.Sprintf("blocked term %q", term)
			m.describe([]*slate.Prepared{p})
			return m, l.saveMeta(m)
		}
	}
	md, err := loadMedia(id, &converted{variants: []*slate.Prepared{p}, audio: p.Audio})
	if err != nil {
		return Meta{}, fmt.Errorf("%v: %w", err, ErrBadMedia)
	}
	m.describe(md.prepared)
	return l.settle(cfg, m, md)
}

// slateMedia is an accepted slate's media: its variants (largest first),
// loaded for the splicer, and its own audio (nil without).
type slateMedia struct {
	prepared []*slate.Prepared
	slates   []*slate.Slate
	audio    []byte
}

func loadMedia(id string, c *converted) (slateMedia, error) {
	md := slateMedia{prepared: c.variants, audio: c.audio}
	for _, p := range c.variants {
		sl, err := slate.Load(id, p.CMAF)
		if err != nil {
			return md, err
		}
		sl.ID = variantID(id, sl)
		md.slates = append(md.slates, sl)
	}
	if len(md.slates) == 0 {
		return md, fmt.Errorf("slate %s has no variant", id)
	}
	return md, nil
}

// describe fills the media fields of m from its variants.
func (m *Meta) describe(ps []*slate.Prepared) {
	m.Variants, m.Bytes = nil, 0
	for _, p := range ps {
		m.Variants = append(m.Variants, fmt.Sprintf("%dx%d", p.Width, p.Height))
		m.Bytes += len(p.CMAF)
	}
	m.Width, m.Height, m.Codec, m.Duration = ps[0].Width, ps[0].Height, ps[0].Codec, ps[0].Duration
}

// settle stores and installs the media of a slate, asking the moderation
// webhook first for a host slate when one is configured: approved, or
// rejected with its media dropped.
func (l *Library) settle(cfg Config, m Meta, md slateMedia) (Meta, error) {
	m.Audio = md.audio != nil
	if err := l.saveMedia(m.ID, md); err != nil {
		return Meta{}, err
	}
	if m.Owner != "" && cfg.ModerationURL != "" {
		m.Status = Pending
		if err := l.saveMeta(m); err != nil {
			return Meta{}, err
		}
		allowed, reason := l.moderate(cfg, m)
		m.Status, m.Reason = Approved, reason
		if !allowed {
			m.Status = Rejected
			l.dropMedia(m.ID)
			return m, l.saveMeta(m)
		}
	}
	m.Status = Approved
	l.o.PutSlate(m.ID, md.slates)
	return m, l.saveMeta(m)
}

// saveMeta stores (durably) and indexes a slate's metadata.
func (l *Library) saveMeta(m Meta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := l.o.Store().PutRecord("sl", []string{"m", m.ID}, b, true); err != nil {
		return origin.StorageErr("save slate", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.metas[m.ID] = &m
	if m.Owner == "" {
		l.rebuildModel()
	}
	return nil
}

// saveMedia stores a slate's variants and audio: v/<id> the largest
// variant (what Media serves), x/<id>/<WxH> the others, a/<id> the audio.
func (l *Library) saveMedia(id string, md slateMedia) error {
	st := l.o.Store()
	for i, p := range md.prepared {
		key := []string{"v", id}
		if i > 0 {
			key = []string{"x", id, fmt.Sprintf("%dx%d", p.Width, p.Height)}
		}
		if err := st.PutRecord("sl", key, p.CMAF, true); err != nil {
			l.dropMedia(id)
			return origin.StorageErr("save slate media", err)
		}
	}
	if md.audio != nil {
		if err := st.PutRecord("sl", []string{"a", id}, md.audio, true); err != nil {
			l.dropMedia(id)
			return origin.StorageErr("save slate audio", err)
		}
	}
	return nil
}

// dropMedia deletes every media record of a slate.
func (l *Library) dropMedia(id string) {
	st := l.o.Store()
	keys := [][]string{{"v", id}, {"a", id}}
	_ = st.Records("sl", []string{"x", id}, func(parts []string, _ []byte) bool {
		keys = append(keys, append([]string(nil), parts...))
		return true
	})
	for _, k := range keys {
		if err := st.DeleteRecord("sl", k); err != nil && !errors.Is(err, origin.ErrNotFound) {
			l.log.Warn("drop slate media", "slate", id, "err", err)
		}
	}
}

// variantsOf loads the stored variants of a slate, largest first.
func (l *Library) variantsOf(id string) ([]*slate.Slate, error) {
	st := l.o.Store()
	b, err := st.Record("sl", []string{"v", id})
	if err != nil {
		return nil, err
	}
	files := [][]byte{b}
	err = st.Records("sl", []string{"x", id}, func(_ []string, val []byte) bool {
		files = append(files, val)
		return true
	})
	if err != nil {
		return nil, err
	}
	var out []*slate.Slate
	for _, f := range files {
		sl, err := slate.Load(id, f)
		if err != nil {
			return nil, err
		}
		sl.ID = variantID(id, sl)
		out = append(out, sl)
	}
	return out, nil
}

// variantID names one variant of slate id: the splicer keys the combined
// init it builds per rendition by it.
func variantID(id string, sl *slate.Slate) string {
	return fmt.Sprintf("%s_%dx%d", id, sl.Width, sl.Height)
}
