// Headless Debian Chromium driven over the DevTools protocol (the `ws` package), for the README
// screenshots: load a local page, record every network request it makes, capture a PNG.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

// The flags that work on a closed network (no background fetches, no sandbox as root).
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--hide-scrollbars', '--remote-debugging-port=0',
];

export interface Shot {
  /** Every URL the page requested (the page itself included). */
  requests: string[];
  png: Buffer;
}

export class Browser {
  private constructor(private proc: ChildProcess, private profile: string, private ws: WebSocket) {}
  private nextId = 1;
  private pending = new Map<number, { ok: (v: any) => void; fail: (e: Error) => void }>();
  private listeners: ((method: string, params: any) => void)[] = [];

  static async launch(executable = process.env.CHROMIUM ?? '/usr/bin/chromium'): Promise<Browser> {
    if (!existsSync(executable)) throw new Error(`${executable} not found: install it with "apt-get install -y chromium" (or set CHROMIUM)`);
    const profile = mkdtempSync(join(tmpdir(), 'smc-chromium-'));
    const proc = spawn(executable, [...FLAGS, `--user-data-dir=${profile}`, 'about:blank'], { stdio: 'ignore' });
    const port = await waitFor(() => {
      const f = join(profile, 'DevToolsActivePort');
      return existsSync(f) ? readFileSync(f, 'utf8').split('\n')[0] : null;
    }, 20_000, 'chromium did not open its DevTools port');
    const page = await waitFor(async () => {
      const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[];
      return list.find((t) => t.type === 'page')?.webSocketDebuggerUrl ?? null;
    }, 10_000, 'chromium has no page');
    const ws = new WebSocket(page);
    await new Promise<void>((ok, fail) => { ws.once('open', () => ok()); ws.once('error', fail); });
    const b = new Browser(proc, profile, ws);
    ws.on('message', (raw) => b.onMessage(JSON.parse(String(raw))));
    await b.send('Network.enable');
    await b.send('Page.enable');
    return b;
  }

  private onMessage(m: { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: unknown }) {
    if (m.id !== undefined) {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.fail(new Error(m.error.message));
      else p?.ok(m.result);
    } else if (m.method) {
      for (const l of this.listeners) l(m.method, m.params);
    }
  }

  send(method: string, params: object = {}): Promise<any> {
    const id = this.nextId++;
    return new Promise((ok, fail) => {
      this.pending.set(id, { ok, fail });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /**
   * Opens `url` in a viewport of `width`×`height`, waits `settleMs` after load for charts to draw,
   * and captures `selector`'s box (or the viewport) scaled by `scale`.
   */
  async shoot(url: string, opts: { width: number; height: number; selector?: string; scale?: number; settleMs?: number }): Promise<Shot> {
    const requests: string[] = [];
    const onEvent = (method: string, params: any) => { if (method === 'Network.requestWillBeSent') requests.push(params.request.url); };
    this.listeners.push(onEvent);
    await this.send('Emulation.setDeviceMetricsOverride', { width: opts.width, height: opts.height, deviceScaleFactor: 1, mobile: false });
    const loaded = new Promise<void>((ok) => {
      const l = (method: string) => { if (method === 'Page.loadEventFired') { this.listeners = this.listeners.filter((x) => x !== l); ok(); } };
      this.listeners.push(l);
    });
    await this.send('Page.navigate', { url });
    await loaded;
    await new Promise((r) => setTimeout(r, opts.settleMs ?? 800));
    let clip = { x: 0, y: 0, width: opts.width, height: opts.height };
    if (opts.selector) {
      const r = await this.send('Runtime.evaluate', {
        expression: `JSON.stringify((() => { const b = document.querySelector(${JSON.stringify(opts.selector)}).getBoundingClientRect(); return { x: b.x, y: b.y, width: b.width, height: b.height }; })())`,
        returnByValue: true,
      });
      clip = JSON.parse(r.result.value);
    }
    const shot = await this.send('Page.captureScreenshot', { format: 'png', clip: { ...clip, scale: opts.scale ?? 1 }, captureBeyondViewport: true });
    this.listeners = this.listeners.filter((x) => x !== onEvent);
    return { requests, png: Buffer.from(shot.data, 'base64') };
  }

  async close(): Promise<void> {
    this.ws.close();
    this.proc.kill('SIGTERM');
    await new Promise((r) => (this.proc.exitCode !== null ? r(null) : this.proc.once('exit', r)));
    rmSync(this.profile, { recursive: true, force: true });
  }
}

async function waitFor<T>(probe: () => T | null | Promise<T | null>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(what);
    await new Promise((r) => setTimeout(r, 100));
  }
}
