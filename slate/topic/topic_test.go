package topic

import (
	"math"
	"reflect"
	"testing"

	"hlsorigin/fixtures"
)

func TestTokens(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"今天做红烧肉", []string{"天做", "做红", "红烧", "烧肉"}},
		{"Let's PLAY Minecraft!", []string{"play", "minecraft"}},
		{"我们的游戏", []string{"游戏"}},
		{"和大家聊聊天", []string{"大家", "家聊", "聊聊", "聊天"}[1:]},
		{"LOL 电竞 vs Valorant2", []string{"电竞", "vs", "valorant2"}},
		{"a 吃", []string{"吃"}},
		{"", nil},
	} {
		if got := Tokens(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func presetModel(t *testing.T) *Model {
	t.Helper()
	ps, err := fixtures.Presets()
	if err != nil {
		t.Fatal(err)
	}
	var docs []Doc
	for _, p := range ps {
		docs = append(docs, Doc{ID: p.ID, Text: append([]string{p.Title, p.Description}, p.Tags...)})
	}
	return NewModel(docs)
}

// TestRankPresets: Chinese and English titles and chat pick the preset of
// their topic, with these scores (cosine of TF-IDF vectors, IDF over the
// bundled presets).
func TestRankPresets(t *testing.T) {
	m := presetModel(t)
	for _, tc := range []struct {
		name  string
		query []Weighted
		best  string
		score float64
	}{
		{"cooking title zh", []Weighted{{"今天做红烧肉", 3}}, "food", 0.3652},
		{"game chat en", []Weighted{{"Ranked grind", 3}, {"gg that boss fight was insane", 1}, {"what level are you", 1},
			{"nice combo", 1}}, "gaming", 0.2187},
		{"game title mixed", []Weighted{{"Minecraft 开黑 上分", 3}}, "gaming", 0.3298},
		{"basketball zh", []Weighted{{"周末篮球比赛", 3}}, "sports", 0.3741},
		{"music en", []Weighted{{"Acoustic guitar evening", 3}, {"play wonderwall on the guitar", 1}}, "music", 0.1638},
		{"chatting zh", []Weighted{{"和大家聊聊天", 3}}, "chatting", 0.3108},
		{"food chat mixed", []Weighted{{"Sunday stream", 3}, {"这个菜谱好吃吗", 1}, {"what recipe is that", 1},
			{"kitchen looks great", 1}}, "food", 0.3579},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := m.Rank(m.Query(tc.query), 3)
			t.Logf("%s %.4f %v; next %s %.4f", r[0].ID, r[0].Score, r[0].Terms, r[1].ID, r[1].Score)
			if r[0].ID != tc.best {
				t.Fatalf("best %s (%.4f), want %s", r[0].ID, r[0].Score, tc.best)
			}
			if tc.score > 0 && math.Abs(r[0].Score-tc.score) > 0.005 {
				t.Errorf("score %.4f, want %.4f", r[0].Score, tc.score)
			}
			if r[1].Score >= r[0].Score {
				t.Errorf("no margin: %s %.4f", r[1].ID, r[1].Score)
			}
		})
	}
}

func TestRankNothingInCommon(t *testing.T) {
	m := presetModel(t)
	r := m.Rank(m.Query([]Weighted{{"hello world", 3}, {"asdf qwer", 1}}), 3)
	for _, s := range r {
		if s.Score != 0 {
			t.Errorf("%s scored %.4f for unrelated text", s.ID, s.Score)
		}
	}
}

func TestCosineBounds(t *testing.T) {
	m := NewModel([]Doc{{ID: "a", Text: []string{"apple banana"}}, {ID: "b", Text: []string{"cherry"}}})
	r := m.Rank(m.Query([]Weighted{{"apple banana", 1}}), 5)
	if r[0].ID != "a" || math.Abs(r[0].Score-1) > 1e-9 {
		t.Errorf("identical text: %+v, want score 1", r[0])
	}
	if r[1].Score != 0 {
		t.Errorf("disjoint text scored %.4f", r[1].Score)
	}
}
