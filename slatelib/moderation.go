package slatelib

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"unicode"

	"hlsorigin/slate/topic"
)

// LoadBlocklist reads blocklist terms from a file: one term per line
// (Chinese or English, any case), blank lines and lines starting with '#'
// ignored.
func LoadBlocklist(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("blocklist: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		t := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		out = append(out, t)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("blocklist %s: %w", path, err)
	}
	return out, nil
}

// Blocked returns the first blocklist term found in an upload's title,
// tags or description ("" when none). English terms match whole words
// (through the same tokeniser as topic matching: case-insensitive, in
// sequence); terms holding CJK characters match as substrings of the text
// with its spaces and punctuation removed, so "赌 博" cannot slip past
// "赌博".
func Blocked(list []string, up UploadInfo) string {
	if len(list) == 0 {
		return ""
	}
	text := up.Title + "\n" + strings.Join(up.Tags, "\n") + "\n" + up.Description
	words := " " + strings.Join(topic.Tokens(text), " ") + " "
	plain := " " + strings.Join(strings.Fields(strings.ToLower(squash(text))), " ") + " "
	compact := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, text)
	for _, term := range list {
		t := strings.ToLower(strings.TrimSpace(term))
		if t == "" {
			continue
		}
		if strings.IndexFunc(t, isCJKRune) >= 0 {
			tc := strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
					return -1
				}
				return r
			}, t)
			if tc != "" && strings.Contains(compact, tc) {
				return term
			}
			continue
		}
		if toks := topic.Tokens(t); len(toks) > 0 && strings.Contains(words, " "+strings.Join(toks, " ")+" ") {
			return term
		}
		// terms made of stop words or single letters: whole-word match
		if strings.Contains(plain, " "+strings.Join(strings.Fields(squash(t)), " ")+" ") {
			return term
		}
	}
	return ""
}

// squash turns punctuation into spaces.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func isCJKRune(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) ||
		unicode.Is(unicode.Hangul, r)
}

// ModerationRequest is what the moderation webhook receives.
type ModerationRequest struct {
	Slate    Meta   `json:"slate"`
	MediaURL string `json:"media_url"`
}

// ModerationAnswer is what it answers.
type ModerationAnswer struct {
	Allowed *bool  `json:"allowed"`
	Reason  string `json:"reason"`
}

// moderate asks the webhook about a pending slate. Anything but a timely
// 2xx answer {"allowed": true} rejects it (fail closed); the reason says
// why.
func (l *Library) moderate(cfg Config, m Meta) (allowed bool, reason string) {
	tok, err := l.MediaToken(m.ID, cfg.MediaURLTTL)
	if err != nil {
		return false, "moderation unavailable: " + err.Error()
	}
	body, _ := json.Marshal(ModerationRequest{Slate: m,
		MediaURL: cfg.PublicURL + "/api/v1/slates/" + m.ID + "/media?token=" + url.QueryEscape(tok)})
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ModerationTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.ModerationURL, bytes.NewReader(body))
	if err != nil {
		return false, "moderation unavailable: " + err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return false, fmt.Sprintf("moderation unavailable: no answer within %s", cfg.ModerationTimeout)
		}
		return false, "moderation unavailable: " + err.Error()
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return false, "moderation unavailable: " + err.Error()
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return false, fmt.Sprintf("moderation unavailable: HTTP %d", resp.StatusCode)
	}
	var a ModerationAnswer
	if err := json.Unmarshal(raw, &a); err != nil || a.Allowed == nil {
		return false, "moderation unavailable: answer is not {\"allowed\": bool, \"reason\": string}"
	}
	reason = strings.TrimSpace(a.Reason)
	if r := []rune(reason); len(r) > 200 {
		reason = string(r[:200])
	}
	if !*a.Allowed {
		if reason == "" {
			reason = "denied by moderation"
		}
		return false, reason
	}
	return true, reason
}
