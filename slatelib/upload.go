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
// nothing stored (ErrBadMedia, ErrInvalid, ErrTooLarge, ErrUnprocessable);
// a valid upload is stored with its moderation outcome: approved, or
// rejected with a reason (its media is then dropped).
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
	if errors.Is(err, slate.ErrUploadTooLarge) {
		return Meta{}, fmt.Errorf("%v: %w", err, ErrTooLarge)
	}
	if err != nil {
		return Meta{}, fmt.Errorf("%v: %w", err, ErrBadMedia)
	}
	if owner != nil {
		if err := checkChannelCodec(owner, p); err != nil {
			return Meta{}, err
		}
	}
	sl, err := slate.Load("upload", p.CMAF)
	if err != nil {
		return Meta{}, fmt.Errorf("%v: %w", err, ErrBadMedia)
	}
	id, err := newSlateID()
	if err != nil {
		return Meta{}, err
	}
	sl.ID = id
	m := Meta{ID: id, Title: up.Title, Tags: up.Tags, Description: up.Description, Status: Approved,
		Width: p.Width, Height: p.Height, Codec: p.Codec, Duration: p.Duration, Bytes: len(p.CMAF),
		CreatedAt: l.now().UTC()}
	if owner != nil {
		m.Owner = owner.ID()
		if term := Blocked(cfg.Blocklist, up); term != "" {
			m.Status, m.Reason = Rejected, fmt.Sprintf("blocked term %q", term)
			return m, l.saveMeta(m)
		}
		if cfg.ModerationURL != "" {
			m.Status = Pending
			if err := l.saveMedia(id, p.CMAF); err != nil {
				return Meta{}, err
			}
			if err := l.saveMeta(m); err != nil {
				return Meta{}, err
			}
			allowed, reason := l.moderate(cfg, m)
			m.Status, m.Reason = Approved, reason
			if !allowed {
				m.Status = Rejected
				if err := l.o.Store().DeleteRecord("sl", []string{"v", id}); err != nil {
					l.log.Warn("drop rejected slate media", "slate", id, "err", err)
				}
			}
			if m.Status == Approved {
				l.o.PutSlate(id, []*slate.Slate{sl})
			}
			return m, l.saveMeta(m)
		}
	}
	if err := l.saveMedia(id, p.CMAF); err != nil {
		return Meta{}, err
	}
	l.o.PutSlate(id, []*slate.Slate{sl})
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

func (l *Library) saveMedia(id string, cmaf []byte) error {
	if err := l.o.Store().PutRecord("sl", []string{"v", id}, cmaf, true); err != nil {
		return origin.StorageErr("save slate media", err)
	}
	return nil
}
