// Drives the viewer page (/watch/{id}) and the host console (/host/{id}) in
// headless Debian chromium through a pause with an audience poll, checking
// the pixels of the viewer's video frame (drawn into a canvas) against the
// slate's look. Prints a JSON report on stdout; exits 0 even on failure
// (the Go test reads the report).
// usage: node poll.mjs <base url> <channel> <host token> <slate reference .json>
//   the reference is {"w":64,"h":36,"rgb":[...]} of the slate the host picks.
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [base, id, token, refFile] = process.argv.slice(2);
const ref = JSON.parse(readFileSync(refFile, 'utf8'));
const SLATE_MAX = Number(process.env.SLATE_MAX || 28); // mean |diff| to the slate for "slate"
const LIVE_MIN = Number(process.env.LIVE_MIN || 45);   // and at least this for "live"
const report = { ok: false, steps: [], errors: [], diffs: [] };
const t0 = Date.now();
const step = (name, extra = {}) => report.steps.push({ name, at: (Date.now() - t0) / 1000, ...extra });

async function until(what, fn, timeoutMs = 90000, everyMs = 300) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await fn().catch((e) => { report.errors.push(what + ': ' + e.message); return undefined; });
    if (last && last.done) return last;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error('timed out waiting for ' + what + (last ? ' (last: ' + JSON.stringify(last) + ')' : ''));
}

// frame draws the <video> into a w x h canvas and returns its mean
// absolute difference to the reference (0..255) and the playback time.
async function frame(page) {
  const f = await page.evaluate(({ w, h }) => {
    const v = document.querySelector('video');
    if (!v || !v.videoWidth || v.readyState < 2) return null;
    const c = document.createElement('canvas');
    c.width = w; c.height = h;
    const g = c.getContext('2d', { willReadFrequently: true });
    g.drawImage(v, 0, 0, w, h);
    return { t: v.currentTime, px: Array.from(g.getImageData(0, 0, w, h).data) };
  }, { w: ref.w, h: ref.h });
  if (!f) return null;
  let sum = 0;
  for (let i = 0, j = 0; i < f.px.length; i += 4, j += 3) {
    sum += Math.abs(f.px[i] - ref.rgb[j]) + Math.abs(f.px[i + 1] - ref.rgb[j + 1]) + Math.abs(f.px[i + 2] - ref.rgb[j + 2]);
  }
  const diff = sum / (ref.w * ref.h * 3);
  report.diffs.push({ at: (Date.now() - t0) / 1000, t: f.t, diff: Math.round(diff * 10) / 10 });
  return { t: f.t, diff, sig: f.px.filter((_, i) => i % 97 === 0).join(',') };
}

// live: the frame is far from the slate and the picture moves (testsrc2 animates).
async function waitLive(page, what) {
  let prev = null;
  return until(what, async () => {
    const f = await frame(page);
    if (!f) return { done: false };
    const moved = prev && prev.sig !== f.sig && f.t > prev.t;
    const live = f.diff >= LIVE_MIN;
    prev = f;
    return { done: live && moved, diff: f.diff, t: f.t };
  }, 120000, 500);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
    '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
});
try {
  const ctxV = await browser.newContext({ locale: 'en-US' });
  const ctxH = await browser.newContext({ locale: 'zh-CN' });
  const viewer = await ctxV.newPage();
  const host = await ctxH.newPage();
  for (const [name, p] of [['viewer', viewer], ['host', host]]) {
    p.on('pageerror', (e) => report.errors.push(name + ' page error: ' + e.message));
  }
  await viewer.goto(base + '/watch/' + encodeURIComponent(id));
  await host.goto(base + '/host/' + encodeURIComponent(id) + '#token=' + encodeURIComponent(token));
  step('pages opened');

  const live1 = await waitLive(viewer, 'viewer playing the live source');
  step('viewer plays live', { diff: live1.diff });

  // Host console: token taken from the fragment (and removed from the URL),
  // Chinese labels from navigator.language, the slate list loaded.
  await until('host console ready', async () => {
    const s = await host.evaluate(() => ({ ready: document.getElementById('slate').dataset.ready === '1',
      enabled: !document.getElementById('toggle').disabled, hash: location.hash,
      label: document.getElementById('toggle').textContent,
      slates: [...document.getElementById('slate').options].map((o) => o.value) }));
    return { done: s.ready && s.enabled, ...s };
  });
  const hostLabel = await host.evaluate(() => ({ hash: location.hash, label: document.getElementById('toggle').textContent }));
  if (hostLabel.hash !== '') throw new Error('host token left in the URL: ' + hostLabel.hash);
  if (hostLabel.label !== '马上回来') throw new Error('host page not in Chinese: ' + hostLabel.label);
  await host.selectOption('#slate', 'default');
  await host.click('#toggle');
  await until('host paused', async () => ({ done: await host.evaluate(() => document.getElementById('toggle').dataset.state === 'paused') }));
  step('host clicked pause');

  const slate = await until('viewer showing the slate', async () => {
    const f = await frame(viewer);
    return { done: !!f && f.diff <= SLATE_MAX, diff: f && f.diff };
  }, 120000, 500);
  step('viewer shows slate', { diff: slate.diff });

  await viewer.waitForSelector('#poll:not([hidden]) button[data-option="2"]:not([disabled])', { timeout: 60000 });
  const labels = await viewer.$$eval('#poll-options .label', (els) => els.map((e) => e.textContent));
  step('poll shown', { labels });
  await viewer.click('#poll-options button[data-option="2"]');
  await viewer.waitForSelector('#poll-options button.mine[data-option="2"][data-votes="1"]', { timeout: 60000 });
  step('viewer voted');
  await host.waitForSelector('#tally [data-option="2"][data-votes="1"]', { timeout: 60000 });
  step('host shows tally');

  // Chat goes through the event stream; the language toggle switches labels.
  await viewer.fill('#chat-input', '好耶 brb');
  await viewer.press('#chat-input', 'Enter');
  await viewer.waitForSelector('#chat-list li:has-text("好耶 brb")', { timeout: 60000 });
  await viewer.click('#lang');
  const zh = await viewer.textContent('#poll h2');
  await viewer.click('#lang');
  const en = await viewer.textContent('#poll h2');
  if (zh !== '我回来后做什么？' || en !== 'What should I do when I\'m back?') throw new Error('language toggle: ' + zh + ' / ' + en);
  step('chat and language toggle');

  await host.click('#toggle');
  await until('host resumed', async () => ({ done: await host.evaluate(() => document.getElementById('toggle').dataset.state !== 'paused') }));
  step('host clicked resume');
  await viewer.waitForSelector('#winner:not([hidden])[data-option="2"]', { timeout: 60000 });
  await host.waitForSelector('#winner:not([hidden])[data-option="2"]', { timeout: 60000 });
  report.winner = { viewer: await viewer.textContent('#winner-label'), host: await host.textContent('#winner-label') };
  step('both pages show the winner', report.winner);

  const live2 = await waitLive(viewer, 'viewer live again');
  step('viewer live again', { diff: live2.diff });
  report.hlsErrors = await viewer.evaluate(() => (window.hlsEvents || []).filter((e) => e.fatal));
  report.ok = true;
} catch (e) {
  report.failure = e.message;
} finally {
  await browser.close();
}
report.diffs = report.diffs.filter((_, i, a) => i % Math.max(1, Math.floor(a.length / 60)) === 0);
console.log(JSON.stringify(report));
