package slatelib

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"hlsorigin/origin"
	"hlsorigin/slate"
)

// converter returns the configured converter (nil: conversion off).
func (l *Library) converter() *converter {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.conv
}

// uploadConverted probes an upload that is not in slate form and, when it
// is convertible, stores it as "processing" and converts it in the
// background.
func (l *Library) uploadConverted(conv *converter, cfg Config, owner *origin.Channel, file []byte, up UploadInfo) (Meta, error) {
	var extra []Size
	profile := "main"
	if owner != nil {
		var err error
		if extra, profile, err = channelTarget(owner); err != nil {
			return Meta{}, err
		}
	}
	if err := conv.admit(); err != nil {
		return Meta{}, err
	}
	handedOff := false
	defer func() {
		if !handedOff {
			conv.release()
		}
	}()
	dir, err := os.MkdirTemp(conv.cfg.TempDir, "slate-upload-")
	if err != nil {
		return Meta{}, fmt.Errorf("slate conversion temp dir: %w", err)
	}
	defer func() {
		if !handedOff {
			os.RemoveAll(dir)
		}
	}()
	in := filepath.Join(dir, "in")
	if err := os.WriteFile(in, file, 0o600); err != nil {
		return Meta{}, fmt.Errorf("slate conversion temp file: %w", err)
	}
	src, err := conv.probe(l.ctx, in)
	if err != nil {
		return Meta{}, err
	}
	id, err := newSlateID()
	if err != nil {
		return Meta{}, err
	}
	m := Meta{ID: id, Title: up.Title, Tags: up.Tags, Description: up.Description, Status: Processing,
		Source: src.Source(), CreatedAt: l.now().UTC()}
	if owner != nil {
		m.Owner = owner.ID()
		if term := Blocked(cfg.Blocklist, up); term != "" {
			m.Status, m.Reason = Rejected, fmt.Sprintf("blocked term %q", term)
			return m, l.saveMeta(m)
		}
	}
	if err := l.saveMeta(m); err != nil {
		return Meta{}, err
	}
	lim := cfg.Limits.WithDefaults()
	secs := float64(conv.cfg.StillSeconds)
	if !src.Still {
		secs = min(max(src.Duration, lim.MinDuration), lim.MaxDuration)
	}
	j := convertJob{dir: dir, in: in, src: src, sizes: variantSizes(extra), profile: profile, seconds: secs,
		maxBytes: lim.MaxVideoBytes}
	handedOff = true
	l.wg.Add(1)
	go l.runConversion(conv, cfg, j, m)
	return m, nil
}

// runConversion converts, then settles the slate (moderation, storage) or
// rejects it with the reason.
func (l *Library) runConversion(conv *converter, cfg Config, j convertJob, m Meta) {
	defer l.wg.Done()
	defer conv.release()
	defer os.RemoveAll(j.dir)
	out, err := conv.convert(l.ctx, j, cfg.Limits)
	var md slateMedia
	if err == nil {
		md, err = loadMedia(m.ID, out)
	}
	if err != nil {
		l.rejectConversion(m, err.Error())
		return
	}
	m.describe(md.prepared)
	if _, err := l.settle(cfg, m, md); err != nil {
		l.rejectConversion(m, "not stored: "+err.Error())
		return
	}
	l.log.Info("slate converted", "slate", m.ID, "source", m.Source, "variants", len(md.slates), "audio", md.audio != nil)
}

func (l *Library) rejectConversion(m Meta, reason string) {
	l.log.Info("slate conversion rejected", "slate", m.ID, "source", m.Source, "reason", reason)
	l.dropMedia(m.ID)
	m.Status, m.Reason = Rejected, reason
	if err := l.saveMeta(m); err != nil {
		l.log.Warn("save rejected slate", "slate", m.ID, "err", err)
	}
}

// channelTarget returns the resolutions of a channel's video renditions
// and the x264 profile every one of them carries (Constrained Baseline
// when one is Baseline, else Main). A rendition that is not H.264 cannot
// show a slate (ErrUnprocessable).
func channelTarget(ch *origin.Channel) ([]Size, string, error) {
	var sizes []Size
	profile := "main"
	for _, r := range ch.Renditions() {
		info := r.Info()
		if info.Kind != "video" {
			continue
		}
		if info.Width > 0 && info.Height > 0 {
			sizes = append(sizes, Size{info.Width, info.Height})
		}
		if info.Codecs == "" {
			continue
		}
		vc := videoCodecOf(info.Codecs)
		if !strings.HasPrefix(vc, "avc1.") && !strings.HasPrefix(vc, "avc3.") || len(vc) < 7 {
			return nil, "", fmt.Errorf("rendition %s is %s: slates are H.264, the channel cannot show them: %w", info.Name, vc, ErrUnprocessable)
		}
		if prof, err := strconv.ParseUint(vc[5:7], 16, 8); err == nil {
			if rank, ok := slate.ProfileRank(int(prof)); ok && rank == 0 {
				profile = "baseline"
			}
		}
	}
	return sizes, profile, nil
}
