package main

import (
	"fmt"
	"net/url"
	"os"
	"strings"
)

// minAdminToken is the shortest admin token accepted: the admin token
// guards channel creation and every channel's controls, and is not
// rate limited per channel.
const minAdminToken = 32

// loadAdminTokenFile reads -admin-token-file into AdminToken.
func (c *config) loadAdminTokenFile() error {
	if c.AdminTokenFile != "" {
		if c.AdminToken != "" {
			return fmt.Errorf("-admin-token and -admin-token-file: give one of them")
		}
		b, err := os.ReadFile(c.AdminTokenFile)
		if err != nil {
			return fmt.Errorf("-admin-token-file: %v", err)
		}
		c.AdminToken = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
		if c.AdminToken == "" {
			return fmt.Errorf("-admin-token-file %s: empty", c.AdminTokenFile)
		}
	}
	return nil
}

// checkAdminToken refuses a short admin token.
func (c config) checkAdminToken() error {
	if c.AdminToken != "" && len(c.AdminToken) < minAdminToken {
		return fmt.Errorf("-admin-token: %d characters, at least %d are required (leave it out for a random one, e.g. openssl rand -base64 33)", len(c.AdminToken), minAdminToken)
	}
	return nil
}

// parseOrigins parses -allowed-origins: "scheme://host[:port]" entries.
func parseOrigins(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		u, err := url.Parse(f)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return nil, fmt.Errorf("%q: an origin is scheme://host[:port]", f)
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	return out, nil
}
