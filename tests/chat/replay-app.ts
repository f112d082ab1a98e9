// The whole app (startApp: store, simulated venue, runtime, chat) replaying real BTCUSDT candles,
// as `smc replay` runs it, for the chat end-to-end tests. The replay is held deterministically:
// a hold is an exclusive task on the runtime's event chain, queued while the runtime is still
// publishing the alert (so no later candle is handled until the test releases it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type App } from '../../src/app.js';
import { loadEnv } from '../../src/config/env.js';
import { buildRunConfig } from '../../src/config/overrides.js';
import { loadDataSources } from '../../src/data/load.js';
import type { CandleSeries } from '../../engine/types.js';
import { dataPath } from '../helpers/data.js';
import { captureLogger } from './log-capture.js';

/** 2021-04-02 → 04-17: the first approve-mode BTCUSDT signal comes on 04-12 02:55 UTC, after the warm-up. */
let cached: CandleSeries[] | null = null;
export function btcSeries(): CandleSeries[] {
  cached ??= loadDataSources([dataPath('binance-spot')], {
    symbols: ['BTCUSDT'], from: Date.parse('2021-04-02T00:00:00Z'), to: Date.parse('2021-04-17T00:00:00Z'),
  });
  return cached;
}

export function tempDataDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'smc-chat-app-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ReplayApp {
  app: App;
  log: ReturnType<typeof captureLogger>;
  /** Holds the replay after the event being handled now; returns the release. */
  hold(): () => void;
  /** Releases every hold (before stopping: the runtime stops only after its chain has run). */
  releaseAll(): void;
  stop(): Promise<void>;
}

/** `install` runs before the app starts: set the fake servers' hooks there (they may call hold()). */
export async function startReplayApp(vars: Record<string, string>, install: (hold: () => () => void) => void = () => {}): Promise<ReplayApp> {
  const env = loadEnv({ TRADING_MODE: 'paper', EXECUTION_MODE: 'approve', PORT: '0', LOG_LEVEL: 'debug', ...vars });
  const log = captureLogger();
  const releases = new Set<() => void>();
  let app: App | null = null;
  const holdNow = (): (() => void) => {
    // The first alert comes days into the data, long after startApp has returned.
    if (!app) throw new Error('hold before the app started');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    void app.runtime.runExclusive(() => gate);
    const once = () => {
      releases.delete(once);
      release();
    };
    releases.add(once);
    return once;
  };
  install(holdNow);
  app = await startApp({
    env, cfg: buildRunConfig({}), replay: { series: btcSeries(), speed: 0 }, logger: log.logger,
    // The runtime waits for every chat send, so a hold set while a message arrives lands right after that event.
    chat: { publishWaitMs: Infinity, answerWithinMs: 120_000, pollTimeoutSeconds: 1, minGapMs: 0, backoff: { initialMs: 50, maxMs: 500 } },
  });
  const started = app;
  return {
    app: started,
    log,
    hold: holdNow,
    releaseAll: () => {
      for (const r of [...releases]) r();
    },
    stop: async () => {
      for (const r of [...releases]) r();
      await started.stop('test over');
    },
  };
}

/** Waits until `pred` holds (checked on a timer, so pending microtasks have run), or fails naming `what`. */
export async function until(pred: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Reads the app's database directly (test-only: the Store interface has no signal reads). */
export async function sql(app: App, text: string, params: unknown[] = []): Promise<Record<string, any>[]> {
  await app.store!.flush(30_000);
  const s = app.store as unknown as { inner?: { q(t: string, p: unknown[]): Promise<Record<string, any>[]> } };
  if (!s.inner) throw new Error('expected the journaled store around PGlite');
  return s.inner.q(text, params);
}
