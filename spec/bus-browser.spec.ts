/**
 * The event bus between two tabs of one page in headless Chromium (Debian's `chromium`, driven by
 * playwright-core): the page, served from 127.0.0.1, loads an esbuild bundle of the library and
 * joins a bus over `broadcastChannelTransport`.
 */
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The page: classes, a codec with two of them, a bus on the `shop` channel, and what arrived. */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>bus tab</title>
<script src="/bundle.js"></script>
<script>
  const { EventBus, broadcastChannelTransport, eventCodec } = RxjsConcurrency;
  class CartChanged { constructor(items) { this.items = items; } get label() { return this.items + ' items'; } }
  class OrderCreated { constructor(id) { this.id = id; } }
  class NotInCodec { constructor(id) { this.id = id; } }
  const bus = new EventBus({ transport: broadcastChannelTransport('shop'), codec: eventCodec({ CartChanged, OrderCreated }) });
  const received = [];
  const errors = [];
  bus.on(CartChanged).subscribe((e) => received.push({ type: 'CartChanged', ok: e instanceof CartChanged, label: e.label }));
  bus.on(OrderCreated).subscribe((e) => received.push({ type: 'OrderCreated', ok: e instanceof OrderCreated, id: e.id }));
  bus.errors$.subscribe((e) => errors.push(e.message));
  Object.assign(window, { bus, received, errors, CartChanged, OrderCreated, NotInCodec });
</script>`;

let server: Server;
let origin: string;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} was not found. These tests need Debian's Chromium: apt-get update && apt-get install -y chromium`);
  }
  const bundle = await build({
    entryPoints: [join(__dirname, '..', 'lib', 'index.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'RxjsConcurrency',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0]!.text;
  server = createServer((req, res) => {
    if (req.url === '/bundle.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
});

describe('EventBus between two tabs (headless Chromium, BroadcastChannel)', () => {
  let tab1: Page;
  let tab2: Page;
  beforeAll(async () => {
    const context = await browser.newContext();
    [tab1, tab2] = await Promise.all([context.newPage(), context.newPage()]);
    await Promise.all([tab1.goto(origin), tab2.goto(origin)]);
  }, 60_000);

  it('an event sent in one tab reaches the subscriber of its type in the other, as an instance of its class, and is not echoed', async () => {
    await tab1.evaluate(() => {
      const w = window as unknown as { bus: { send(e: object): void }; CartChanged: new (n: number) => object; OrderCreated: new (id: string) => object };
      w.bus.send(new w.CartChanged(3));
      w.bus.send(new w.OrderCreated('o-1'));
    });
    await tab2.waitForFunction(() => (window as unknown as { received: unknown[] }).received.length >= 2, undefined, { timeout: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 200)); // room for a duplicate or an echo
    const inTab2 = await tab2.evaluate(() => (window as unknown as { received: unknown[] }).received);
    expect(inTab2).toEqual([
      { type: 'CartChanged', ok: true, label: '3 items' },
      { type: 'OrderCreated', ok: true, id: 'o-1' },
    ]);
    // The sending tab got its own events once, locally and synchronously, and nothing back.
    const inTab1 = await tab1.evaluate(() => (window as unknown as { received: unknown[] }).received);
    expect(inTab1).toEqual(inTab2);
    expect(await tab2.evaluate(() => (window as unknown as { errors: string[] }).errors)).toEqual([]);
  });

  it('an unregistered class throws a TypeError naming it at send, and nothing reaches the other tab', async () => {
    const before = await tab2.evaluate(() => (window as unknown as { received: unknown[] }).received.length);
    const thrown = await tab1.evaluate(() => {
      const w = window as unknown as { bus: { send(e: object): void }; NotInCodec: new (id: string) => object };
      try {
        w.bus.send(new w.NotInCodec('x'));
        return null;
      } catch (error) {
        return { name: (error as Error).constructor.name, message: (error as Error).message };
      }
    });
    expect(thrown).toEqual({
      name: 'TypeError',
      message: "Event class NotInCodec is not registered in the bus's codec (known: CartChanged, OrderCreated); add it to eventCodec({ … })",
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await tab2.evaluate(() => (window as unknown as { received: unknown[] }).received.length)).toBe(before);
  });
});
