// Viewer page: the live player, the channel state, the audience poll while
// the host is away (vote buttons), the winner after the host is back, and chat.
'use strict';
const id = HO.channelID();
const base = HO.api(id);
const $ = (s) => document.getElementById(s);
let state = 'idle';
let poll = null;     // latest PollView
let myVote = {};     // poll id -> option id of this viewer's vote

// Viewer token: signed by the server for this channel, kept in
// localStorage, renewed on 401 (expired) or 403 (taken for another channel).
const tokenKey = 'hlsorigin.viewer.' + id;
let token = localStorage.getItem(tokenKey) || '';
async function viewerToken(renew) {
  if (!token || renew) {
    const r = await HO.json('/api/v1/viewers', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ channel: id }) });
    if (!r.ok) throw new Error('viewer token: ' + r.status);
    token = r.body.viewer_token;
    localStorage.setItem(tokenKey, token);
  }
  return token;
}
async function authed(url, opts = {}) {
  const go = async (tok) => HO.json(url, { ...opts, headers: { ...(opts.headers || {}), Authorization: 'Bearer ' + tok } });
  let r = await go(await viewerToken(false));
  if (r.status === 401 || r.status === 403) r = await go(await viewerToken(true));
  return r;
}

function showState(s) {
  state = s;
  $('state').dataset.state = s;
  $('state').textContent = HO.t(s);
  $('brb').hidden = s !== 'paused';
}

function showPoll(pv) {
  if (!pv) return;
  if (poll && poll.id === pv.id && poll.state === 'closed' && pv.state === 'open') return; // stale event
  poll = pv;
  if (pv.your_vote) myVote[pv.id] = pv.your_vote;
  const open = pv.state === 'open';
  $('poll').hidden = !open;
  $('poll').dataset.poll = pv.id;
  if (open) {
    HO.renderTally($('poll-options'), pv, myVote[pv.id], vote);
    const mine = pv.options.find((o) => o.id === myVote[pv.id]);
    $('poll-note').textContent = pv.total + ' ' + HO.t('pollVotes') + (mine ? ' · ' + HO.t('pollYou') + ': ' + HO.optionLabel(mine.label) : '');
  }
  const w = $('winner');
  w.hidden = open;
  if (!open) {
    w.dataset.option = pv.winner ? pv.winner.id : '';
    $('winner-label').textContent = pv.winner ? HO.optionLabel(pv.winner.label) : HO.t('pollNoVotes');
    $('winner-votes').textContent = pv.winner ? '(' + pv.winner.votes + ' / ' + pv.total + ' ' + HO.t('pollVotes') + ')' : '';
  }
}

async function vote(option) {
  const r = await authed(base + '/poll/vote', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ option }) });
  if (r.ok) showPoll(r.body);
  else $('poll-note').textContent = (r.body && r.body.error) || ('error ' + r.status);
}

async function loadPoll() {
  const r = await authed(base + '/poll');
  if (r.ok) showPoll(r.body);
}

const seenChat = new Set();
function addChat(m) {
  if (seenChat.has(m.id)) return;
  seenChat.add(m.id);
  const li = document.createElement('li');
  const who = document.createElement('span'); who.className = 'who'; who.textContent = (m.viewer || '').slice(0, 6);
  li.append(who, document.createTextNode(m.text));
  $('chat-list').append(li);
  while ($('chat-list').children.length > 100) $('chat-list').firstChild.remove();
  $('chat-list').scrollTop = $('chat-list').scrollHeight;
}

$('chat-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = $('chat-input').value.trim();
  if (!text) return;
  const r = await authed(base + '/chat', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ text }) });
  if (r.ok) $('chat-input').value = '';
});

function channel(c) {
  $('title').textContent = c.title || id;
  document.title = (c.title || id) + ' · hlsorigin';
  showState(c.state);
}

HO.langButton($('lang'));
HO.onLang(() => { showState(state); if (poll) showPoll(poll); });
HO.applyLang();
HO.player($('video'), id);
HO.events(id, {
  sync: (c) => { channel(c); loadPoll(); },
  paused: () => showState('paused'),
  resumed: () => showState('live'),
  input_lost: () => { if (state !== 'paused') showState('reconnecting'); },
  input_restored: () => { if (state !== 'paused') showState('live'); },
  ended: () => showState('ended'),
  started: () => showState('live'),
  title: (d) => { $('title').textContent = d.title || id; },
  chat: addChat,
  poll: showPoll,
  poll_result: showPoll,
});
(async () => {
  const c = await HO.json(base);
  if (c.ok) channel(c.body); else showState('offline');
  const msgs = await HO.json(base + '/chat?limit=50');
  if (msgs.ok) msgs.body.forEach(addChat);
  loadPoll();
})();
// The state badge also follows the channel (live/idle) between events.
setInterval(async () => {
  const c = await HO.json(base).catch(() => null);
  if (c && c.ok) channel(c.body);
}, 5000);
