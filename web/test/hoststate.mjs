// Opens the host console (/host/{id}#token=...) in headless Debian chromium
// and waits until its state badge shows a state (and the "encoder offline"
// badge is shown or hidden as asked); prints what it saw as JSON.
// usage: node hoststate.mjs <host page url with #token> <state> <input lost: 1|0> <timeout seconds>
import { chromium } from 'playwright-core';

const [url, want, lost, seconds = '30'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const result = { ok: false, seen: [] };
try {
  const page = await browser.newPage();
  await page.goto(url);
  const end = Date.now() + Number(seconds) * 1000;
  while (Date.now() < end && !result.ok) {
    const s = await page.evaluate(() => ({
      state: document.getElementById('state').dataset.state,
      label: document.getElementById('state').textContent,
      lost: !document.getElementById('input').hidden,
      note: document.getElementById('input').textContent,
    }));
    const last = result.seen[result.seen.length - 1];
    if (!last || last.state !== s.state || last.lost !== s.lost) result.seen.push(s);
    result.ok = s.state === want && s.lost === (lost === '1');
    if (!result.ok) await new Promise((r) => setTimeout(r, 200));
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
