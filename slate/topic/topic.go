// Package topic matches a channel's text (title, chat, past titles) to
// slate presets: a tokeniser for mixed Chinese and English text (English
// words, CJK character bigrams), TF-IDF weights with the IDF taken over the
// preset corpus, and cosine similarity. Pure Go, no I/O.
package topic

import (
	"math"
	"sort"
	"strings"
	"unicode"
)

// Tokens splits text into lower-cased terms: runs of letters and digits
// (Latin, Cyrillic, ...) are words; runs of CJK characters (Han, kana,
// Hangul) become overlapping character bigrams (a lone character stays a
// unigram). Stop words and one-letter words are dropped.
func Tokens(text string) []string {
	var out []string
	var word []rune
	var cjk []rune
	flushWord := func() {
		if len(word) > 1 {
			w := string(word)
			if !stopWords[w] {
				out = append(out, w)
			}
		}
		word = word[:0]
	}
	flushCJK := func() {
		switch {
		case len(cjk) == 1:
			if !stopCJK[string(cjk)] {
				out = append(out, string(cjk))
			}
		case len(cjk) > 1:
			for i := 0; i+1 < len(cjk); i++ {
				b := string(cjk[i : i+2])
				if !stopCJK[b] && !particle[cjk[i]] && !particle[cjk[i+1]] && !(stopChar[cjk[i]] && stopChar[cjk[i+1]]) {
					out = append(out, b)
				}
			}
		}
		cjk = cjk[:0]
	}
	for _, r := range text {
		switch {
		case isCJK(r):
			flushWord()
			cjk = append(cjk, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r) || (r == '\'' && len(word) > 0):
			flushCJK()
			word = append(word, unicode.ToLower(r))
		default:
			flushWord()
			flushCJK()
		}
	}
	flushWord()
	flushCJK()
	for i, t := range out { // "let's" -> "let's"; trailing apostrophes go
		out[i] = strings.TrimRight(t, "'")
	}
	return out
}

func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) ||
		unicode.Is(unicode.Hangul, r)
}

// Vector is a sparse term weight vector.
type Vector map[string]float64

// Norm is the Euclidean length.
func (v Vector) Norm() float64 {
	s := 0.0
	for _, w := range v {
		s += w * w
	}
	return math.Sqrt(s)
}

// Doc is one preset to match against.
type Doc struct {
	ID   string
	Text []string // title, tags, description (each tokenised)
}

// Model holds the IDF of a corpus and each document's TF-IDF vector.
type Model struct {
	idf  map[string]float64
	n    int
	docs []docVec
}

type docVec struct {
	id   string
	vec  Vector
	norm float64
}

// NewModel builds the model: IDF(t) = ln((1+N)/(1+df(t))) + 1 over the
// documents (smoothed, so a term in every document still counts), and each
// document's vector of (1 + ln tf) x IDF.
func NewModel(docs []Doc) *Model {
	m := &Model{idf: map[string]float64{}, n: len(docs)}
	tfs := make([]map[string]int, len(docs))
	df := map[string]int{}
	for i, d := range docs {
		tf := map[string]int{}
		for _, text := range d.Text {
			for _, t := range Tokens(text) {
				tf[t]++
			}
		}
		for t := range tf {
			df[t]++
		}
		tfs[i] = tf
	}
	for t, n := range df {
		m.idf[t] = math.Log(float64(1+m.n)/float64(1+n)) + 1
	}
	for i, d := range docs {
		v := m.weigh(tfs[i])
		m.docs = append(m.docs, docVec{id: d.ID, vec: v, norm: v.Norm()})
	}
	return m
}

// IDF of a term; terms outside the corpus get the largest IDF (df = 0).
func (m *Model) IDF(t string) float64 {
	if w, ok := m.idf[t]; ok {
		return w
	}
	return math.Log(float64(1+m.n)) + 1
}

func (m *Model) weigh(tf map[string]int) Vector {
	v := Vector{}
	for t, n := range tf {
		if n > 0 {
			v[t] = (1 + math.Log(float64(n))) * m.IDF(t)
		}
	}
	return v
}

// Weighted is a piece of query text and how many times it counts (a title
// counts more than one chat line).
type Weighted struct {
	Text   string
	Weight int
}

// Query builds the TF-IDF vector of weighted texts over the corpus
// vocabulary: a term no preset uses cannot match any of them, and leaving
// it out keeps scores comparable with a fixed threshold however much
// unrelated chat there is.
func (m *Model) Query(texts []Weighted) Vector {
	tf := map[string]int{}
	for _, w := range texts {
		for _, t := range Tokens(w.Text) {
			if _, ok := m.idf[t]; ok {
				tf[t] += max(w.Weight, 1)
			}
		}
	}
	return m.weigh(tf)
}

// Term is a term with its weight or its share of a score.
type Term struct {
	Term   string  `json:"term"`
	Weight float64 `json:"weight"`
}

// Score is one document's cosine similarity with a query and the terms
// that contributed most.
type Score struct {
	ID    string  `json:"id"`
	Score float64 `json:"score"`
	Terms []Term  `json:"terms"`
}

// Rank scores every document against q, best first (ties by id).
func (m *Model) Rank(q Vector, topTerms int) []Score {
	qn := q.Norm()
	out := make([]Score, 0, len(m.docs))
	for _, d := range m.docs {
		s := Score{ID: d.id, Terms: []Term{}}
		if qn > 0 && d.norm > 0 {
			for t, w := range q {
				if dw, ok := d.vec[t]; ok {
					c := w * dw / (qn * d.norm)
					s.Score += c
					s.Terms = append(s.Terms, Term{Term: t, Weight: c})
				}
			}
		}
		s.Terms = top(s.Terms, topTerms)
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// TopTerms returns the n heaviest terms of a vector.
func TopTerms(v Vector, n int) []Term {
	ts := make([]Term, 0, len(v))
	for t, w := range v {
		ts = append(ts, Term{Term: t, Weight: w})
	}
	return top(ts, n)
}

func top(ts []Term, n int) []Term {
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].Weight != ts[j].Weight {
			return ts[i].Weight > ts[j].Weight
		}
		return ts[i].Term < ts[j].Term
	})
	if n >= 0 && len(ts) > n {
		ts = ts[:n]
	}
	return ts
}
