// Plays a VOD playlist to its end with the vendored hls.js in headless
// Debian chromium and reports, as JSON on stdout: whether it
// ended, the media duration and the last position, hls.js errors.
// usage: node vod.mjs <origin base url> <playlist url> <timeout seconds>
import { chromium } from 'playwright-core';

const [base, url, seconds = '90'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
});
let result = { url, ended: false, duration: 0, position: 0, fatal: [], errors: [] };
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => result.fatal.push('page error: ' + e.message));
  await page.goto(base + '/healthz'); // same origin as the media
  await page.addScriptTag({ url: base + '/web/hls.min.js' });
  await page.evaluate((src) => {
    window.vod = { ended: false, errors: [], fatal: [] };
    const v = document.createElement('video');
    v.muted = true;
    document.body.appendChild(v);
    const hls = new Hls();
    hls.on(Hls.Events.ERROR, (_, d) => (d.fatal ? window.vod.fatal : window.vod.errors).push(d.details + ' at ' + v.currentTime.toFixed(3)));
    hls.on(Hls.Events.MANIFEST_PARSED, () => { v.play(); });
    v.addEventListener('ended', () => { window.vod.ended = true; });
    hls.loadSource(src);
    hls.attachMedia(v);
  }, url);
  const end = Date.now() + Number(seconds) * 1000;
  while (Date.now() < end) {
    const s = await page.evaluate(() => ({ ...window.vod, d: document.querySelector('video').duration, t: document.querySelector('video').currentTime }));
    result = { ...result, ended: s.ended, duration: s.d, position: s.t, errors: s.errors, fatal: result.fatal.concat(s.fatal) };
    if (s.ended || s.fatal.length) break;
    await new Promise((r) => setTimeout(r, 250));
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
