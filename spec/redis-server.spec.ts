import { startRedisServer, type RedisServer } from './support/redis-server';
import { createConnection } from 'node:net';

/** One raw RESP round trip, so the harness is tested without any client library. */
function send(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (d) => {
      socket.destroy();
      resolve(d.toString());
    });
    socket.on('error', reject);
  });
}

describe('the test Redis server (Debian redis-server on a free loopback port)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers, keeps no data across a restart (no persistence), and stops', async () => {
    expect(await send(server.port, 'SET k v')).toBe('+OK\r\n');
    await server.restart();
    expect(server.running).toBe(true);
    expect(await send(server.port, 'GET k')).toBe('$-1\r\n');
    await server.stop();
    expect(server.running).toBe(false);
    await expect(send(server.port, 'PING')).rejects.toThrow(/ECONNREFUSED/);
    await server.restart();
    expect(await send(server.port, 'PING')).toBe('+PONG\r\n');
  });
});
