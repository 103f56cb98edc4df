package api

import (
	"fmt"
	"math"
	"time"

	"github.com/gofiber/fiber/v2"

	"hlsorigin/audience"
	"hlsorigin/origin"
)

func (s *Server) channelRoutes() {
	s.app.Post("/api/v1/channels", s.limiter(LimitCreate).Handler(), s.createChannel)
	s.app.Get("/api/v1/channels", s.listChannels)
	s.app.Get("/api/v1/channels/:id", s.getChannel)
	s.app.Patch("/api/v1/channels/:id", s.patchChannel)
}

// decodeJSON parses a JSON body strictly: read within the route's body
// limit, exactly one object, unknown fields refused (strictjson.go).
func decodeJSON(c *fiber.Ctx, v any) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	return strictJSON(b, v)
}

type createChannelReq struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type createChannelResp struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	StreamKey string `json:"stream_key"`
	HostToken string `json:"host_token"`
}

func (s *Server) createChannel(c *fiber.Ctx) error {
	if !s.isAdmin(c) {
		return s.writeError(c, fmt.Errorf("admin token required: %w", origin.ErrUnauthorized))
	}
	var req createChannelReq
	if err := decodeJSON(c, &req); err != nil {
		return s.writeError(c, err)
	}
	ch, cr, err := s.o.CreateChannel(req.ID, req.Title)
	if err != nil {
		return s.writeError(c, err)
	}
	s.log.Info("channel created", "channel", ch.ID(), "client", s.clientAddr(c))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(createChannelResp{ID: ch.ID(), Title: ch.Title(),
		StreamKey: cr.StreamKey, HostToken: cr.HostToken})
}

// ChannelView is the public state of a channel.
type ChannelView struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	State string `json:"state"`
	// InputLost: the origin generates the slate because host media
	// stopped (state reconnecting, or paused with the encoder gone).
	InputLost  bool                   `json:"input_lost"`
	Renditions []origin.RenditionInfo `json:"renditions"`
	Pause      any                    `json:"pause"`
	URLs       map[string]string      `json:"urls"`
	// PollOptions open the audience poll of the next pause.
	PollOptions []string `json:"poll_options"`
	// PublishDelay (seconds) between a segment's arrival and its listing.
	PublishDelay float64 `json:"publish_delay"`
}

func (s *Server) channelView(ch *origin.Channel) ChannelView {
	v := ChannelView{ID: ch.ID(), Title: ch.Title(), State: ch.State(), InputLost: ch.InputLost(), Renditions: []origin.RenditionInfo{},
		URLs: map[string]string{"live": "/live/" + ch.ID() + "/index.m3u8"}, PollOptions: s.aud.PollOptions(ch),
		PublishDelay: ch.PublishDelay().Seconds()}
	for _, r := range ch.Renditions() {
		v.Renditions = append(v.Renditions, r.Info())
	}
	if p, ok := ch.Paused(); ok {
		v.Pause = pauseView(p)
	}
	return v
}

func (s *Server) listChannels(c *fiber.Ctx) error {
	out := []ChannelView{}
	for _, id := range s.o.Channels() {
		if ch, err := s.o.Channel(id); err == nil {
			out = append(out, s.channelView(ch))
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(out)
}

func (s *Server) getChannel(c *fiber.Ctx) error {
	ch, err := s.o.Channel(c.Params("id"))
	if err != nil {
		return s.writeError(c, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(s.channelView(ch))
}

// hostChannel authenticates the host token (or the admin token).
func (s *Server) hostChannel(c *fiber.Ctx) (*origin.Channel, error) {
	ch, err := s.o.Channel(c.Params("id"))
	if err != nil {
		return nil, err
	}
	if s.isAdmin(c) {
		return ch, nil
	}
	tok := bearer(c)
	if tok == "" {
		return nil, fmt.Errorf("host token required: %w", origin.ErrUnauthorized)
	}
	return ch, ch.CheckHostToken(tok)
}

type patchChannelReq struct {
	Title       *string   `json:"title"`
	PollOptions *[]string `json:"poll_options"` // []: back to the defaults; null or absent: unchanged
	// PublishDelay in seconds (0 to 3600): segments are listed and served
	// this long after they arrive.
	PublishDelay *float64 `json:"publish_delay"`
}

func (s *Server) patchChannel(c *fiber.Ctx) error {
	ch, err := s.hostChannel(c)
	if err != nil {
		return s.writeError(c, err)
	}
	var req patchChannelReq
	if err := decodeJSON(c, &req); err != nil {
		return s.writeError(c, err)
	}
	if req.PollOptions != nil && len(*req.PollOptions) > 0 {
		if _, err := audience.ValidatePollOptions(*req.PollOptions); err != nil {
			return s.writeError(c, err) // checked before the title changes
		}
	}
	var delay time.Duration
	if d := req.PublishDelay; d != nil {
		if math.IsNaN(*d) || *d < 0 || *d > origin.MaxPublishDelay.Seconds() {
			return s.writeError(c, fmt.Errorf("publish_delay %v: 0 to %v seconds: %w", *d, origin.MaxPublishDelay.Seconds(), origin.ErrInvalid))
		}
		delay = time.Duration(*d * float64(time.Second))
	}
	if req.Title != nil {
		if err := ch.SetTitle(*req.Title); err != nil {
			return s.writeError(c, err)
		}
	}
	if req.PollOptions != nil {
		if err := s.aud.SetPollOptions(ch, *req.PollOptions); err != nil {
			return s.writeError(c, err)
		}
	}
	if req.PublishDelay != nil {
		if err := ch.SetPublishDelay(delay); err != nil {
			return s.writeError(c, err)
		}
	}
	return c.JSON(s.channelView(ch))
}
