// `smc run` (what `npm start` runs) as a user meets it without network: paper trading with no keys,
// Bybit unreachable → a clear message, retries with back-off and /health 503; a second instance on
// the same DATA_DIR refuses to start; a database that is down at start keeps the bot in standby.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PgliteStore } from '../../src/storage/pglite-store.js';
import { loadMigrations } from '../../src/storage/migrations.js';

const SMC = resolve(__dirname, '../../bin/smc.js');
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** A port nothing listens on (bound, then released). */
function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [SMC, 'run'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const out = { text: '' };
  child.stdout!.on('data', (d) => (out.text += d));
  child.stderr!.on('data', (d) => (out.text += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out, exited };
}

async function until<T>(what: string, fn: () => Promise<T | null>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function health(port: number): Promise<{ code: number; body: Record<string, unknown> }> {
  const r = await fetch(`http://127.0.0.1:${port}/health`);
  return { code: r.status, body: (await r.json()) as Record<string, unknown> };
}

describe('smc run without network', () => {
  it('paper mode: says Bybit is unreachable, retries with back-off, /health 503; a second instance on the DATA_DIR refuses; SIGTERM exits cleanly', async () => {
    const dead = await freePort();
    const port = await freePort();
    const dataDir = join(mkdtempSync(join(tmpdir(), 'smc-run-')), 'data');
    const env = {
      DATA_DIR: dataDir, PORT: String(port),
      BYBIT_REST_URL: `http://127.0.0.1:${dead}`, BYBIT_WS_URL: `ws://127.0.0.1:${dead}`,
    };
    const a = start(env);
    const h = await until('/health 503 with the problem', async () => {
      const r = await health(port);
      return r.code === 503 && /exchange unreachable/.test(String(r.body.problem)) ? r : null;
    });
    expect(h.body.mode).toBe('paper');
    await until('a retry', async () => ((a.out.text.match(/exchange unreachable/g) ?? []).length >= 2 ? true : null));
    expect(a.out.text).toMatch(/"retryInSeconds":2\b/);
    expect(a.out.text).toMatch(/"retryInSeconds":4\b/);

    const b = start({ ...env, PORT: String(await freePort()) });
    const code = await b.exited;
    expect(code).not.toBe(0);
    expect(b.out.text).toMatch(/^error: data directory .* is in use by process \d+ \(DATA_DIR\); stop it or use another DATA_DIR$/m);
    expect(b.out.text).not.toMatch(/\n\s+at /); // one line, no stack trace

    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    // A SIGTERM during the back-off still shuts down in order (lease released, store closed).
    expect(a.out.text).toMatch(/"reason":"signal during start-up".*"msg":"shutting down"/);
    expect(a.out.text).toMatch(/shutdown complete/);

    // With no database configured it created DATA_DIR with the embedded database and its tables.
    const store = await PgliteStore.open(dataDir);
    try {
      expect(await store.appliedMigrations()).toEqual(loadMigrations().map((m) => m.name));
    } finally {
      await store.close();
    }
  }, 120_000);

  it('a database that is down at start: standby with a clear reason, never trading without the lease', async () => {
    const deadDb = await freePort();
    const dead = await freePort();
    const port = await freePort();
    const a = start({
      DATA_DIR: join(mkdtempSync(join(tmpdir(), 'smc-run-')), 'data'), PORT: String(port),
      DATABASE_URL: `postgres://smc@127.0.0.1:${deadDb}/smc`,
      BYBIT_REST_URL: `http://127.0.0.1:${dead}`, BYBIT_WS_URL: `ws://127.0.0.1:${dead}`,
    });
    const h = await until('standby health', async () => {
      const r = await health(port);
      return r.body.status === 'standby' ? r : null;
    });
    expect(String(h.body.problem)).toMatch(/database is unreachable.*cannot take the trading lease/);
    expect(h.body.openTrades).toBe(0);
    // It never got as far as the exchange.
    expect(a.out.text).not.toMatch(/exchange unreachable/);
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(a.out.text).toMatch(/stopped while waiting for the trading lease/);
  }, 120_000);
});
