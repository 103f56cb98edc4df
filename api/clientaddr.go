package api

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Client addresses. A request's client is its TCP peer, unless the peer is
// a trusted proxy (Options.TrustedProxies, flag -trusted-proxies): then
// the client is the right-most address of X-Forwarded-For (or, when that
// header is absent, of Forwarded "for=") that is not itself a trusted
// proxy. Each proxy appends the address it received the request from, so
// entries left of the first untrusted one may be forged by the client and
// are never used; headers from untrusted peers are ignored entirely.
//
// Limits keyed by client (rate limits, per-address caps) count IPv6
// clients per /64: one subscriber line usually gets a whole /64, so
// addresses inside it cost an attacker nothing.

// ParseTrustedProxies parses "CIDR[,CIDR...]"; a bare address stands for
// itself (/32 or /128). Empty means none.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("%q: not an address or CIDR", f)
			}
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q: %v", f, err)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// proxySet is the trusted proxies.
type proxySet []netip.Prefix

func (ps proxySet) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr is the TCP peer of a request.
func peerAddr(c *fiber.Ctx) netip.Addr {
	if ta, ok := c.Context().RemoteAddr().(*net.TCPAddr); ok {
		if a, ok := netip.AddrFromSlice(ta.IP); ok {
			return a.Unmap()
		}
	}
	return netip.IPv4Unspecified()
}

// clientAddr is the request's client address (see the top of this file).
func (s *Server) clientAddr(c *fiber.Ctx) netip.Addr {
	peer := peerAddr(c)
	if len(s.proxies) == 0 || !s.proxies.trusted(peer) {
		return peer
	}
	h := &c.Request().Header
	return resolveClient(peer, string(h.Peek(fiber.HeaderXForwardedFor)), string(h.Peek("Forwarded")), s.proxies)
}

// resolveClient walks the forwarding headers from the right, starting at
// the TCP peer, while the hop is a trusted proxy.
func resolveClient(peer netip.Addr, xff, fwd string, ps proxySet) netip.Addr {
	if !ps.trusted(peer) {
		return peer
	}
	var hops []string
	if xff != "" {
		hops = strings.Split(xff, ",")
	} else if fwd != "" {
		hops = forwardedFor(fwd)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break // a trusted proxy passed something unreadable: stop at the last good hop
		}
		client = a
		if !ps.trusted(a) {
			break
		}
	}
	return client
}

// forwardedFor returns the for= values of a Forwarded header (RFC 7239),
// in order.
func forwardedFor(h string) []string {
	var out []string
	for _, elem := range strings.Split(h, ",") {
		for _, pair := range strings.Split(elem, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if ok && strings.EqualFold(k, "for") {
				out = append(out, v)
			}
		}
	}
	return out
}

// parseHop reads one hop: 1.2.3.4, 1.2.3.4:5678, [2001:db8::1]:80,
// "[2001:db8::1]" (Forwarded quotes IPv6), 2001:db8::1.
func parseHop(h string) (netip.Addr, bool) {
	h = strings.Trim(strings.TrimSpace(h), `"`)
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().Unmap(), true
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap(), true
	}
	return netip.Addr{}, false
}

// clientKey is what per-client limits count: the IPv4 address, or the /64
// of an IPv6 address.
func clientKey(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	if a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}

// clientKeyOf is the limit key of the request's client.
func (s *Server) clientKeyOf(c *fiber.Ctx) string { return clientKey(s.clientAddr(c)) }
