// Drives a real hls.js player page in headless Debian chromium and reports,
// as JSON on stdout: seconds played, the longest stall, hls.js errors.
// usage: node player.mjs <page url> <seconds>
import { chromium } from 'playwright-core';

const [url, seconds = '30'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
});
const result = { url, samples: 0, played: 0, watched: 0, startedAt: 0, maxStallMs: 0, fatal: [], errors: 0, h264: false, width: 0 };
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => result.fatal.push({ details: 'page error: ' + e.message }));
  await page.goto(url);
  result.h264 = await page.evaluate(() => MediaSource.isTypeSupported('video/mp4; codecs="avc1.64001f,mp4a.40.2"'));
  const end = Date.now() + Number(seconds) * 1000;
  let first = null, last = null, lastMoveAt = null;
  while (Date.now() < end) {
    const s = await page.evaluate(() => {
      const v = document.querySelector('video');
      return { t: v.currentTime, w: v.videoWidth, events: window.hlsEvents || [] };
    });
    const now = Date.now();
    result.samples++;
    if (first === null && s.t > 0) { first = s.t; lastMoveAt = now; result.startedAt = now; console.error('playing'); }
    if (first !== null) {
      if (s.t > last) lastMoveAt = now;
      result.maxStallMs = Math.max(result.maxStallMs, now - lastMoveAt);
    }
    last = s.t;
    result.width = Math.max(result.width, s.w);
    result.errors = s.events.length;
    result.fatal = result.fatal.concat(s.events.filter((e) => e.fatal && !result.fatal.some((f) => f.at === e.at)));
    await new Promise((r) => setTimeout(r, 200));
  }
  result.played = first === null ? 0 : last - first;
  result.watched = first === null ? 0 : (Date.now() - result.startedAt) / 1000;
  result.events = await page.evaluate(() => window.hlsEvents || []);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
