package api

import (
	"os"
	"regexp"
	"testing"
)

// TestOpenAPICoversRoutes: every route the server registers is a path of
// api/openapi.yaml (parameter names aside).
func TestOpenAPICoversRoutes(t *testing.T) {
	fs := newFixtureServer(t)
	spec, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{[^}/]+\}`)
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  (/\S*):\s*$`).FindAllSubmatch(spec, -1) {
		documented[param.ReplaceAllString(string(m[1]), "{}")] = true
	}
	fiberParam := regexp.MustCompile(`:[A-Za-z]+`)
	for _, r := range fs.s.App().GetRoutes(true) {
		if p := fiberParam.ReplaceAllString(r.Path, "{}"); !documented[p] {
			t.Errorf("%s %s is not in openapi.yaml", r.Method, r.Path)
		}
	}
	for _, p := range []string{"/api/v1/channels/{}/poll", "/api/v1/channels/{}/poll/vote", "/host/{}", "/watch/{}"} {
		if !documented[p] {
			t.Errorf("%s not documented", p)
		}
	}
}
