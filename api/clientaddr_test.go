package api

import (
	"net/netip"
	"testing"
)

func TestResolveClient(t *testing.T) {
	ps, err := ParseTrustedProxies("127.0.0.1/32, 10.0.0.0/8,2001:db8:ffff::/48")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		desc, peer, xff, fwd, want string
	}{
		{"untrusted peer: headers ignored", "203.0.113.9", "198.51.100.1", "for=198.51.100.2", "203.0.113.9"},
		{"trusted peer, no header", "127.0.0.1", "", "", "127.0.0.1"},
		{"one proxy", "127.0.0.1", "198.51.100.1", "", "198.51.100.1"},
		{"client-forged left part ignored", "127.0.0.1", "1.1.1.1, 2.2.2.2, 198.51.100.1", "", "198.51.100.1"},
		{"chain of trusted proxies", "127.0.0.1", "198.51.100.1, 10.1.2.3, 10.9.9.9", "", "198.51.100.1"},
		{"all hops trusted: left-most", "127.0.0.1", "10.1.1.1, 10.2.2.2", "", "10.1.1.1"},
		{"garbage from the client, appended real address", "127.0.0.1", "not-an-ip, 198.51.100.7", "", "198.51.100.7"},
		{"garbage at the right: the peer", "127.0.0.1", "198.51.100.7, junk", "", "127.0.0.1"},
		{"with port", "127.0.0.1", "198.51.100.1:5555", "", "198.51.100.1"},
		{"IPv6 hop", "127.0.0.1", "2001:db8::1", "", "2001:db8::1"},
		{"Forwarded when no X-Forwarded-For", "127.0.0.1", "", `for=192.0.2.60;proto=http, for="[2001:db8::7]:4711"`, "2001:db8::7"},
		{"X-Forwarded-For wins over Forwarded", "127.0.0.1", "198.51.100.1", "for=192.0.2.60", "198.51.100.1"},
		{"mapped IPv4 peer", "::ffff:127.0.0.1", "198.51.100.1", "", "198.51.100.1"},
		{"trusted IPv6 proxy", "2001:db8:ffff::1", "198.51.100.3", "", "198.51.100.3"},
	} {
		got := resolveClient(netip.MustParseAddr(tc.peer).Unmap(), tc.xff, tc.fwd, proxySet(ps))
		if got.String() != tc.want {
			t.Errorf("%s: got %s, want %s", tc.desc, got, tc.want)
		}
	}
}

func TestParseTrustedProxiesRefusesGarbage(t *testing.T) {
	for _, bad := range []string{"x", "10.0.0.0/33", "1.2.3.4/", "::1/200"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if ps, err := ParseTrustedProxies(""); err != nil || len(ps) != 0 {
		t.Errorf("empty: %v %v", ps, err)
	}
}

func TestClientKeyIPv6Per64(t *testing.T) {
	a := clientKey(netip.MustParseAddr("2001:db8:1:2:aaaa::1"))
	b := clientKey(netip.MustParseAddr("2001:db8:1:2:ffff:1:2:3"))
	c := clientKey(netip.MustParseAddr("2001:db8:1:3::1"))
	if a != b || a == c || a != "2001:db8:1:2::/64" {
		t.Errorf("keys %q %q %q", a, b, c)
	}
	if k := clientKey(netip.MustParseAddr("::ffff:192.0.2.1")); k != "192.0.2.1" {
		t.Errorf("mapped IPv4 key %q", k)
	}
}
