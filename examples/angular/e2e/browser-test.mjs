// Browser test of the production build (run `npm run build` first), in Debian's headless
// Chromium driven by playwright-core:
//   1. /items loads all 200 items, never more than 4 requests at once;
//   2. navigating away mid-run aborts the requests in flight and starts no new one;
//   3. the cart badge shows what the button sends through the event bus;
//   and the console shows no error throughout.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', 'dist', 'demo-app', 'browser');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(join(root, 'index.html'))) throw new Error(`${root}/index.html is missing: run \`npm run build\` first`);
if (!existsSync(executablePath)) throw new Error(`${executablePath} is missing: apt-get install -y chromium`);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
function check(ok, what) {
  if (!ok) throw new Error(what);
  console.log(`  ok: ${what}`);
}

const server = await startServer(root);
const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const started = Date.now();
try {
  const page = await browser.newPage();
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));

  // 1. All 200 items, at most 4 at once.
  server.api.delay = (id) => 10 + (id % 7) * 5;
  await page.goto(`${server.url}/items`);
  await page.waitForFunction(() => document.querySelector('#progress')?.textContent === '200 / 200', null, { timeout: 60_000 });
  const full = { ...server.api.stats };
  check(full.started === 200 && full.finished === 200, `progress reached 200 / 200 with 200 requests answered (${JSON.stringify(full)})`);
  check(full.maxInFlight === 4, `at most 4 requests were in flight at once, and 4 were (${full.maxInFlight})`);

  // 2. Navigate away mid-run: the requests in flight are aborted, no new one starts.
  await page.click('#nav-shop');
  await page.waitForSelector('#add-to-cart');
  server.api.reset();
  server.api.delay = () => 300;
  await page.click('#nav-items');
  while (server.api.stats.started < 12) await sleep(20);
  const before = { ...server.api.stats };
  await page.click('#nav-shop');
  await page.waitForSelector('#add-to-cart');
  await sleep(150);
  const settled = server.api.stats.started;
  await sleep(650); // longer than a request takes: anything still running would have finished
  const after = { ...server.api.stats };
  check(before.inFlight > 0 && after.aborted > 0, `requests were in flight when the user left (${before.inFlight}) and were aborted (${after.aborted})`);
  check(after.inFlight === 0 && after.started === after.finished + after.aborted, `none is left running (${JSON.stringify(after)})`);
  check(after.started === settled, `no request started after the page was left (${settled} before, ${after.started} after)`);
  check(after.finished < after.started, `not all of them ran to the end (${after.finished} of ${after.started} answered)`);

  // 3. Two components talking through the bus.
  await page.click('#add-to-cart');
  await page.click('#add-to-cart');
  await page.waitForFunction(() => document.querySelector('.cart-count')?.textContent === '2');
  check(true, 'the cart badge shows 2 after two clicks on the button');

  check(consoleErrors.length === 0, `no console errors${consoleErrors.length ? `: ${consoleErrors.join(' | ')}` : ''}`);
  console.log(`browser test: pass in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  await browser.close();
  await server.close();
}
