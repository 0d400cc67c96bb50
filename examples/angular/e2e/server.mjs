// The production build served on 127.0.0.1, with a fake items API that counts what the browser
// does: requests started, finished, aborted (the connection closed before the answer), and how
// many were in flight at most.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.ico': 'image/x-icon', '.json': 'application/json' };

/**
 * Starts the server on a free port. `api.delay(id)` is how long the API takes for item `id`, in
 * ms (change it between phases of a test); `api.stats` the counts; `api.reset()` zeroes them.
 */
export async function startServer(root) {
  const api = {
    delay: () => 20,
    stats: { started: 0, finished: 0, aborted: 0, inFlight: 0, maxInFlight: 0 },
    reset() {
      this.stats = { started: 0, finished: 0, aborted: 0, inFlight: 0, maxInFlight: 0 };
    },
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const item = /^\/api\/items\/(\d+)$/.exec(url.pathname);
    if (item) {
      const stats = api.stats;
      const id = Number(item[1]);
      stats.started++;
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        stats.inFlight--;
        stats.finished++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, name: `item ${id}` }));
      }, api.delay(id));
      res.on('close', () => {
        if (settled) return;
        clearTimeout(timer);
        stats.inFlight--;
        stats.aborted++;
      });
      return;
    }
    // Static files; anything else is the app's index.html (client-side routes).
    const path = normalize(join(root, url.pathname));
    const file = path.startsWith(root) && extname(path) ? path : join(root, 'index.html');
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    api,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}
