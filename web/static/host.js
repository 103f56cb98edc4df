// Host console: preview player, "Be right back" / "I'm back" with the host
// token (pasted, or given as #token=... in the URL fragment, which never
// reaches a server), slate choice, title and poll options, live poll tally
// and the winner.
'use strict';
const id = HO.channelID();
const base = HO.api(id);
const $ = (s) => document.getElementById(s);
const tokenKey = 'hlsorigin.host.' + id;
let state = 'idle';
let poll = null;

// The token moves from the fragment to this tab's session storage and out
// of the address bar (and history).
const frag = new URLSearchParams(location.hash.slice(1));
if (frag.get('token')) {
  sessionStorage.setItem(tokenKey, frag.get('token'));
  history.replaceState(null, '', location.pathname + location.search);
}
let token = sessionStorage.getItem(tokenKey) || '';

function msg(text, err) { $('msg').textContent = text || ''; $('msg').classList.toggle('err', !!err); }

async function host(method, path, body) {
  const opts = { method, headers: { Authorization: 'Bearer ' + token } };
  if (body !== undefined) { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
  const r = await HO.json(base + path, opts);
  if (r.status === 401 || r.status === 403) { msg(HO.t('tokenBad'), true); $('auth').hidden = false; }
  else if (!r.ok) msg((r.body && r.body.error) || ('error ' + r.status), true);
  return r;
}

// showState shows the channel state; lost (when given) says whether the
// encoder's input is lost (the origin generates the slate, also while paused).
function showState(s, lost) {
  state = s;
  if (lost !== undefined) $('input').hidden = !lost;
  $('state').dataset.state = s;
  $('state').textContent = HO.t(s);
  const b = $('toggle');
  b.dataset.state = s;
  b.textContent = HO.t(s === 'paused' ? 'resume' : 'pause');
  b.disabled = !token;
}

function showPoll(pv) {
  if (!pv) return;
  if (poll && poll.id === pv.id && poll.state === 'closed' && pv.state === 'open') return; // stale event
  poll = pv;
  HO.renderTally($('tally'), pv, null, null);
  $('tally').dataset.poll = pv.id;
  $('tally').dataset.total = String(pv.total);
  $('poll-state').textContent = pv.state === 'open' ? HO.t('pollOpen') : HO.t('pollClosed');
  $('poll-note').removeAttribute('data-i18n');
  $('poll-note').textContent = HO.t('total') + ': ' + pv.total + ' ' + HO.t('pollVotes');
  const w = $('winner');
  w.hidden = pv.state === 'open';
  if (pv.state !== 'open') {
    w.dataset.option = pv.winner ? pv.winner.id : '';
    $('winner-label').textContent = pv.winner ? HO.optionLabel(pv.winner.label) : HO.t('pollNoVotes');
    $('winner-votes').textContent = pv.winner ? '(' + pv.winner.votes + ' / ' + pv.total + ' ' + HO.t('pollVotes') + ')' : '';
  }
}

function channel(c) {
  $('channel').textContent = c.title || id;
  if (document.activeElement !== $('title-input')) $('title-input').value = c.title || '';
  const inputs = $('options-form').querySelectorAll('input');
  if (!$('options-form').contains(document.activeElement)) {
    inputs.forEach((el, i) => { el.value = (c.poll_options || [])[i] || ''; });
  }
  showState(c.state, !!c.input_lost);
}

async function loadSlates() {
  const sel = $('slate');
  const keep = sel.value;
  while (sel.options.length > 1) sel.remove(1);
  const add = (m) => {
    if (m.status && m.status !== 'approved') return;
    const o = document.createElement('option');
    o.value = m.id;
    o.textContent = (m.title || m.id) + (m.owner ? ' ★' : '');
    sel.append(o);
  };
  const presets = await HO.json('/api/v1/slates');
  if (presets.ok) presets.body.forEach(add);
  if (token) {
    const own = await host('GET', '/slates');
    if (own.ok) own.body.forEach(add);
  }
  sel.value = keep;
}

$('toggle').addEventListener('click', async () => {
  const b = $('toggle');
  b.disabled = true;
  try {
    if (state === 'paused') {
      const r = await host('POST', '/resume');
      if (r.ok) { showState(r.body.state); if (r.body.poll) showPoll(r.body.poll); msg(''); }
    } else {
      const body = {};
      if ($('slate').value) body.slate = $('slate').value;
      const r = await host('POST', '/pause', body);
      if (r.ok) { showState('paused'); msg(HO.t('slate') + ': ' + r.body.pause.slate.id + ' (' + r.body.pause.slate.reason + ')'); }
    }
  } finally { b.disabled = !token; }
});

$('title-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const r = await host('PATCH', '', { title: $('title-input').value });
  if (r.ok) { channel(r.body); msg(HO.t('saved')); }
});

$('options-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const opts = [...$('options-form').querySelectorAll('input')].map((el) => el.value.trim()).filter(Boolean);
  const r = await host('PATCH', '', { poll_options: opts });
  if (r.ok) { channel(r.body); msg(HO.t('saved')); }
});

$('auth').addEventListener('submit', async (e) => {
  e.preventDefault();
  token = $('token-input').value.trim();
  sessionStorage.setItem(tokenKey, token);
  $('token-input').value = '';
  const r = await host('GET', '/slates');
  if (r.ok) { $('auth').hidden = true; msg(''); loadSlates(); }
  showState(state);
});

HO.langButton($('lang'));
HO.onLang(() => { showState(state); if (poll) showPoll(poll); });
HO.applyLang();
$('watch-link').href = '/watch/' + encodeURIComponent(id);
$('auth').hidden = !!token;
HO.player($('video'), id);
HO.events(id, {
  sync: (c) => { channel(c); HO.json(base + '/poll').then((r) => r.ok && showPoll(r.body)); },
  paused: () => showState('paused'),
  resumed: () => showState($('input').hidden ? 'live' : 'reconnecting'),
  input_lost: () => showState(state === 'paused' ? 'paused' : 'reconnecting', true),
  input_restored: () => showState(state === 'paused' ? 'paused' : 'live', false),
  ended: () => showState('ended', false),
  started: () => showState(state === 'paused' ? 'paused' : 'live', false),
  title: (d) => { $('channel').textContent = d.title || id; },
  poll: showPoll,
  poll_result: showPoll,
});
(async () => {
  const c = await HO.json(base);
  if (c.ok) channel(c.body); else msg((c.body && c.body.error) || HO.t('offline'), true);
  const p = await HO.json(base + '/poll');
  if (p.ok) showPoll(p.body);
  await loadSlates();
  $('slate').dataset.ready = '1';
})();
setInterval(async () => {
  const c = await HO.json(base).catch(() => null);
  if (c && c.ok) showState(c.body.state, !!c.body.input_lost);
}, 5000);
