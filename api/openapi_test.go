package api

import (
	"os"
	"reflect"
	"regexp"
	"strings"
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

// TestOpenAPIDocumentsFields: every JSON field of the pause and channel
// answers and of the PATCH body is a property in api/openapi.yaml.
func TestOpenAPIDocumentsFields(t *testing.T) {
	spec, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		block string // a line that opens the schema in the spec
		v     any
	}{
		{"\n    Pause:\n", PauseView{}},
		{"\n    Channel:\n", ChannelView{}},
		{"\n    patch:\n      summary: Change the title", patchChannelReq{}},
	} {
		i := strings.Index(string(spec), tc.block)
		if i < 0 {
			t.Fatalf("no %q in openapi.yaml", tc.block)
		}
		rest := string(spec[i+len(tc.block):])
		if j := regexp.MustCompile(`\n    \S`).FindStringIndex(rest); j != nil {
			rest = rest[:j[0]] // up to the next entry at the schema's indentation
		}
		rt := reflect.TypeOf(tc.v)
		for k := 0; k < rt.NumField(); k++ {
			name := strings.Split(rt.Field(k).Tag.Get("json"), ",")[0]
			if name == "" || name == "-" {
				continue
			}
			if !regexp.MustCompile(`\n\s+` + regexp.QuoteMeta(name) + `:`).MatchString(rest) {
				t.Errorf("%s: field %q is not documented", strings.TrimSpace(tc.block), name)
			}
		}
	}
}
