package api

import (
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"hlsorigin/audience"
	"hlsorigin/origin"
	"hlsorigin/timeline"
)

func (s *Server) pauseRoutes() {
	s.app.Post("/api/v1/channels/:id/pause", s.limiter(LimitPause).Handler(), s.pause)
	s.app.Post("/api/v1/channels/:id/resume", s.limiter(LimitPause).Handler(), s.resume)
	s.app.Get("/api/v1/channels/:id/pauses", s.listPauses)
}

type pauseReq struct {
	At          *time.Time `json:"at"`
	Slate       string     `json:"slate"`
	Audio       string     `json:"audio"`
	PollOptions []string   `json:"poll_options"`
}

type resumeReq struct {
	At *time.Time `json:"at"`
}

// PauseView is a pause as the API shows it.
type PauseView struct {
	ID         string              `json:"id"`
	StartedAt  time.Time           `json:"started_at"`
	EndedAt    *time.Time          `json:"ended_at,omitempty"`
	Slate      *origin.SlateChoice `json:"slate,omitempty"`
	Audio      string              `json:"audio,omitempty"`
	StartMedia *float64            `json:"start_media,omitempty"`
	EndMedia   *float64            `json:"end_media,omitempty"`
	Poll       *audience.PollView  `json:"poll,omitempty"`
	// Exposed is the part of the pause already published when it was
	// asked for (a back-dated "at"), now withdrawn from every URL; null
	// when nothing was exposed.
	Exposed *timeline.Interval `json:"exposed"`
	// Withdrawn lists, per rendition, the sequence numbers of the
	// segments withdrawn for Exposed (the URLs a CDN purge needs).
	Withdrawn map[string][]uint64 `json:"withdrawn,omitempty"`
}

func pauseView(p origin.Pause) PauseView {
	sl := p.Slate
	return PauseView{ID: p.ID, StartedAt: p.StartedAt, EndedAt: p.EndedAt, Slate: &sl, Audio: p.Audio,
		StartMedia: p.StartMedia, EndMedia: p.EndMedia, Exposed: p.Exposed,
		Withdrawn: p.Withdrawn}
}

// optionalJSON decodes a body that may be empty.
func optionalJSON(c *fiber.Ctx, v any) error {
	b, err := readBody(c)
	if err != nil || len(b) == 0 {
		return err
	}
	return strictJSON(b, v)
}

func (s *Server) pause(c *fiber.Ctx) error {
	ch, err := s.hostChannel(c)
	if err != nil {
		return s.writeError(c, err)
	}
	var req pauseReq
	if err := optionalJSON(c, &req); err != nil {
		return s.writeError(c, err)
	}
	p, err := ch.Pause(origin.PauseRequest{At: req.At, Slate: req.Slate, Audio: req.Audio, PollOptions: req.PollOptions})
	if err != nil {
		return s.writeError(c, err)
	}
	s.log.Info("paused", "channel", ch.ID(), "pause", p.ID, "slate", p.Slate.ID, "client", s.clientAddr(c))
	view := pauseView(p)
	view.Poll = s.pollOf(ch, p.ID)
	ans := fiber.Map{"state": "paused", "pause": view}
	if view.Poll == nil {
		// Paused all the same (the privacy cut comes first), but say why
		// the audience sees no poll.
		reason := "the audience poll did not open"
		if p.PollError != "" {
			reason += ": " + p.PollError
		}
		ans["poll_error"] = reason
	}
	return c.JSON(ans)
}

func (s *Server) resume(c *fiber.Ctx) error {
	ch, err := s.hostChannel(c)
	if err != nil {
		return s.writeError(c, err)
	}
	var req resumeReq
	if err := optionalJSON(c, &req); err != nil {
		return s.writeError(c, err)
	}
	p, err := ch.Resume(req.At)
	if err != nil {
		return s.writeError(c, err)
	}
	s.log.Info("resumed", "channel", ch.ID(), "pause", p.ID, "client", s.clientAddr(c))
	return c.JSON(fiber.Map{"state": ch.State(), "pause": pauseView(p), "poll": s.pollOf(ch, p.ID)})
}

func (s *Server) listPauses(c *fiber.Ctx) error {
	ch, err := s.o.Channel(c.Params("id"))
	if err != nil {
		return s.writeError(c, err)
	}
	out := []PauseView{}
	for _, p := range ch.Pauses() {
		v := pauseView(p)
		v.Poll = s.pollOf(ch, p.ID)
		out = append(out, v)
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(out)
}

var _ = fmt.Sprint
