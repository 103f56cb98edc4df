// Shared code of the viewer (/watch/{id}) and host (/host/{id}) pages:
// English/Chinese labels, the hls.js player, the channel's event stream and
// poll rendering. Plain browser JavaScript, no build step.
'use strict';

const HO = (() => {
  const strings = {
    en: {
      lang: '中文', live: 'Live', idle: 'Offline', paused: 'Be right back', loading: 'loading…',
      reconnecting: 'Reconnecting…', ended: 'Ended', encoderLost: 'Encoder offline: viewers see the slate',
      brb: 'Be right back — the host will return soon.',
      pollQuestion: 'What should I do when I\'m back?', pollVotes: 'votes', pollYou: 'Your vote',
      pollClosed: 'Voting closed', pollNoVotes: 'No votes this time.', winner: 'The audience chose',
      chat: 'Chat', send: 'Send', chatPlaceholder: 'Say something…',
      hostTitle: 'Host console', tokenLabel: 'Host token', useToken: 'Use token', tokenBad: 'The host token was refused.',
      pause: 'Be right back', resume: 'I\'m back', slate: 'Slate', slateAuto: 'Automatic (topic match)',
      title: 'Title', save: 'Save', pollOptions: 'Poll options (2-5)', saved: 'Saved', liveTally: 'Live poll',
      noPoll: 'No poll yet: a poll opens when you pause.', pollOpen: 'open', pollState: 'Poll', total: 'Total',
      watch: 'Viewer page', offline: 'offline',
    },
    zh: {
      lang: 'English', live: '直播中', idle: '未开播', paused: '马上回来', loading: '加载中…',
      reconnecting: '重新连接中…', ended: '已结束', encoderLost: '推流已中断：观众看到暂停画面',
      brb: '马上回来 —— 主播稍后回来。',
      pollQuestion: '我回来后做什么？', pollVotes: '票', pollYou: '你的投票',
      pollClosed: '投票已结束', pollNoVotes: '本次没有投票。', winner: '观众选择了',
      chat: '聊天', send: '发送', chatPlaceholder: '说点什么…',
      hostTitle: '主播控制台', tokenLabel: '主播令牌', useToken: '使用令牌', tokenBad: '主播令牌无效。',
      pause: '马上回来', resume: '我回来了', slate: '暂停画面', slateAuto: '自动（按主题匹配）',
      title: '标题', save: '保存', pollOptions: '投票选项（2-5 个）', saved: '已保存', liveTally: '实时投票',
      noPoll: '还没有投票：暂停时会开启投票。', pollOpen: '进行中', pollState: '投票', total: '总计',
      watch: '观众页面', offline: '离线',
    },
  };
  // Translations of the default poll options (hosts' own labels are shown as written).
  const optionLabels = { 'sing': '唱歌', 'tell a joke': '讲笑话', 'red envelope': '发红包' };

  let lang = localStorage.getItem('hlsorigin.lang') ||
    ((navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en');
  const listeners = [];

  function t(key) { return (strings[lang] && strings[lang][key]) || strings.en[key] || key; }
  function optionLabel(label) {
    if (lang === 'zh' && optionLabels[label]) return optionLabels[label];
    if (lang === 'en') { for (const [en, zh] of Object.entries(optionLabels)) if (zh === label) return en; }
    return label;
  }
  function applyLang() {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
    document.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
    listeners.forEach((f) => f());
  }
  function setLang(l) { lang = l; localStorage.setItem('hlsorigin.lang', l); applyLang(); }
  function onLang(f) { listeners.push(f); }
  function langButton(btn) { btn.addEventListener('click', () => setLang(lang === 'zh' ? 'en' : 'zh')); }

  function channelID() { return decodeURIComponent(location.pathname.split('/').filter(Boolean).pop()); }
  function api(id) { return '/api/v1/channels/' + encodeURIComponent(id); }

  // player plays the channel's live playlist; window.hlsEvents records
  // hls.js errors for automated checks.
  function player(video, id) {
    window.hlsEvents = [];
    const src = '/live/' + encodeURIComponent(id) + '/index.m3u8';
    if (window.Hls && Hls.isSupported()) {
      const hls = new Hls({ liveSyncDurationCount: 3, lowLatencyMode: false, manifestLoadingMaxRetry: 100,
        manifestLoadingRetryDelay: 1000 });
      hls.on(Hls.Events.ERROR, (_, d) => {
        window.hlsEvents.push({ at: performance.now(), fatal: d.fatal, type: d.type, details: d.details });
        if (d.fatal && d.type === Hls.ErrorTypes.NETWORK_ERROR) setTimeout(() => hls.startLoad(), 1000);
        else if (d.fatal && d.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
      });
      hls.loadSource(src);
      hls.attachMedia(video);
      window.hls = hls;
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = src; // Safari plays HLS natively
    }
  }

  // events opens the channel's Server-Sent Events; the browser reconnects
  // with Last-Event-ID by itself. handlers: {type: fn(data)}.
  function events(id, handlers) {
    const es = new EventSource(api(id) + '/events');
    for (const [type, fn] of Object.entries(handlers)) {
      es.addEventListener(type, (e) => { try { fn(JSON.parse(e.data)); } catch (err) { console.error(type, err); } });
    }
    return es;
  }

  async function json(url, opts) {
    const r = await fetch(url, opts);
    let body = null;
    try { body = await r.json(); } catch (e) { /* empty */ }
    return { status: r.status, ok: r.ok, body };
  }

  // renderTally draws a poll's options as bars into el; onVote (optional)
  // makes them buttons. Elements carry data-option for tests and styling.
  function renderTally(el, pv, mine, onVote) {
    el.replaceChildren();
    const total = pv.total || 0;
    for (const o of pv.options) {
      const row = document.createElement(onVote ? 'button' : 'div');
      row.className = 'opt' + (mine === o.id ? ' mine' : '') + (pv.winner && pv.winner.id === o.id ? ' won' : '');
      row.dataset.option = o.id;
      row.dataset.votes = String(o.votes);
      const pct = total ? Math.round((100 * o.votes) / total) : 0;
      const bar = document.createElement('span'); bar.className = 'bar'; bar.style.width = pct + '%';
      const label = document.createElement('span'); label.className = 'label'; label.textContent = optionLabel(o.label);
      const count = document.createElement('span'); count.className = 'count'; count.textContent = String(o.votes);
      row.append(bar, label, count);
      if (onVote) {
        row.type = 'button';
        row.disabled = pv.state !== 'open';
        row.addEventListener('click', () => onVote(o.id));
      }
      el.append(row);
    }
  }

  return { t, optionLabel, applyLang, setLang, onLang, langButton, channelID, api, player, events, json, renderTally,
    get lang() { return lang; } };
})();
