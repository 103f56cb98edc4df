package topic

// English stop words: function words that say nothing about a topic.
var stopWords = set(`a an the and or but if then so of to in on at by for with from into about as is are was
were be been being am do does did doing have has had having i me my we our you your he him his she her it its
they them their this that these those there here what which who whom when where why how all any both each few
more most other some such no nor not only own same too very can will just should now than up down out over
again also let's lets get got go going gonna wanna im i'm it's its dont don't yes yeah ok okay lol haha hi hello
hey guys everyone today tonight stream streaming live right back one two new`)

// Chinese stop bigrams and single characters (particles, pronouns,
// fillers). A bigram made of two stop characters is dropped too.
var stopCJK = set(`我们 你们 他们 她们 它们 大家 今天 现在 这个 那个 一个 什么 怎么 没有 就是 可以 还是 但是 因为 所以 如果
真的 一下 一起 哈哈 啊啊 嗯嗯 这样 那样 然后 已经 时候 直播 主播 的 了 是 在 我 你 他 她 它 也 都 就 和 与 吗 呢 吧 啊 哦 嗯 哈 呀 啦`)

// particle characters never start or end a topic bigram.
var particle = func() map[rune]bool {
	m := map[rune]bool{}
	for _, r := range "的了吗呢吧啊哦嗯呀啦和与在是" {
		m[r] = true
	}
	return m
}()

var stopChar = func() map[rune]bool {
	m := map[rune]bool{}
	for _, r := range "的了是在我你他她它也都就和与吗呢吧啊哦嗯哈呀啦这那个们有很" {
		m[r] = true
	}
	return m
}()

func set(words string) map[string]bool {
	m := map[string]bool{}
	w := []rune{}
	flush := func() {
		if len(w) > 0 {
			m[string(w)] = true
			w = w[:0]
		}
	}
	for _, r := range words {
		if r == ' ' || r == '\n' || r == '\t' {
			flush()
			continue
		}
		w = append(w, r)
	}
	flush()
	return m
}
