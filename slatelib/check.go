package slatelib

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"hlsorigin/origin"
	"hlsorigin/slate"
)

// checkChannelCodec refuses a slate the channel's video renditions could
// not carry: they must all be H.264, with a profile at least the slate's.
func checkChannelCodec(ch *origin.Channel, p *slate.Prepared) error {
	rank, _ := slate.ProfileRank(p.Profile)
	for _, r := range ch.Renditions() {
		info := r.Info()
		if info.Kind != "video" || info.Codecs == "" {
			continue
		}
		vc := videoCodecOf(info.Codecs)
		if !strings.HasPrefix(vc, "avc1.") && !strings.HasPrefix(vc, "avc3.") || len(vc) < 7 {
			return fmt.Errorf("rendition %s is %s: slates are H.264, the channel cannot show them: %w", info.Name, vc, ErrUnprocessable)
		}
		prof, err := strconv.ParseUint(vc[5:7], 16, 8)
		if err != nil {
			continue
		}
		rr, ok := slate.ProfileRank(int(prof))
		if !ok {
			continue // an unusual rendition profile: nothing to compare with
		}
		if rank > rr {
			return fmt.Errorf("slate is H.264 %s, rendition %s is %s (%s): upload a %s (or lower) slate: %w",
				slate.ProfileName(p.Profile), info.Name, slate.ProfileName(int(prof)), vc, slate.ProfileName(int(prof)), ErrUnprocessable)
		}
	}
	return nil
}

// videoCodecOf picks the video codec from a CODECS list.
func videoCodecOf(codecs string) string {
	for _, c := range strings.Split(codecs, ",") {
		c = strings.TrimSpace(c)
		if !strings.HasPrefix(c, "mp4a") && !strings.HasPrefix(c, "ac-3") && !strings.HasPrefix(c, "ec-3") &&
			!strings.HasPrefix(strings.ToLower(c), "opus") {
			return strings.ToLower(c)
		}
	}
	return ""
}

// Limits of slate metadata.
const (
	maxSlateTitle = 100
	maxSlateDesc  = 500
	maxSlateTags  = 20
	maxSlateTag   = 40
)

func cleanUpload(up UploadInfo) (UploadInfo, error) {
	up.Title = strings.TrimSpace(up.Title)
	up.Description = strings.TrimSpace(up.Description)
	if err := cleanText("title", up.Title, maxSlateTitle, false); err != nil {
		return up, err
	}
	if err := cleanText("description", up.Description, maxSlateDesc, true); err != nil {
		return up, err
	}
	var err error
	up.Tags, err = cleanTags(up.Tags)
	return up, err
}

func cleanTags(tags []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" || seen[strings.ToLower(t)] {
			continue
		}
		if err := cleanText("tag", t, maxSlateTag, false); err != nil {
			return nil, err
		}
		seen[strings.ToLower(t)] = true
		out = append(out, t)
	}
	if len(out) > maxSlateTags {
		return nil, fmt.Errorf("%d tags: at most %d: %w", len(out), maxSlateTags, ErrInvalid)
	}
	return out, nil
}

func cleanText(what, s string, maxRunes int, newlines bool) error {
	switch {
	case !utf8.ValidString(s):
		return fmt.Errorf("%s is not UTF-8: %w", what, ErrInvalid)
	case utf8.RuneCountInString(s) > maxRunes:
		return fmt.Errorf("%s longer than %d characters: %w", what, maxRunes, ErrInvalid)
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && !(newlines && r == '\n') }) >= 0:
		return fmt.Errorf("%s holds control characters: %w", what, ErrInvalid)
	}
	return nil
}
