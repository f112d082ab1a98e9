// The daily loss limit survives a restart: a crash loop or a redeploy must not hand the bot a fresh
// allowance on a day it already lost its limit. Today's realised PnL comes from the store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/open.js';
import type { BotEvent } from '../../handlers/control.js';
import { startFakeBybit } from '../fakes/bybit/server.js';
import { trade } from '../storage/fixtures.js';
import { cleanups, longSignal, runtimeOn } from './harness.js';

const MODE = 'testnet';
const NOW = Date.parse('2026-11-24T15:00:00Z');
const TODAY = Date.parse('2026-11-24T00:00:00Z');
const signal = () => longSignal(NOW - 60_000);

/** A runtime on a store that already holds closed trades with these (exit time, net PnL). */
async function startWith(closed: [exitTime: number, pnl: number][]) {
  const fake = await startFakeBybit();
  cleanups.push(() => fake.close());
  const dir = mkdtempSync(join(tmpdir(), 'smc-dayloss-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openStore({ DATA_DIR: dir });
  cleanups.push(() => store.close());
  for (const [exit, pnl] of closed) {
    await store.upsertTrade(trade({ source: MODE, entry_time: new Date(exit - 30 * 60_000), exit_time: new Date(exit), exit_price: 60_000, exit_reason: 'stop_loss', pnl_usd: pnl }));
  }
  const published: BotEvent[] = [];
  const rt = runtimeOn(fake, store, published, { maxDailyLossPercent: 5, clock: () => NOW });
  await rt.start();
  return { fake, rt, published };
}

describe('daily loss limit across a restart', () => {
  it("today's realised losses at the limit (−5 % of the day's starting equity) keep entries blocked after the restart, and the trader is told", async () => {
    // Equity now 10 000 after losing 400 + 150 today: the day started at 10 550; 5 % of it is 527.5.
    const { fake, rt, published } = await startWith([[TODAY + 3_600_000, -400], [TODAY + 7_200_000, -150], [TODAY - 3_600_000, -900]]);
    expect(rt.session.dailyLossLocked).toBe(true);
    expect(published.filter((e) => e.type === 'error').map((e) => (e as { message: string }).message))
      .toEqual([expect.stringMatching(/^daily loss limit already reached today \(-550\.00 USDT realised\)/)]);
    expect(await rt.executeSignal(signal(), null)).toMatchObject({ ok: false, fate: 'daily_loss_limit' });
    expect(fake.requests.filter((r) => r.path === '/v5/order/create')).toEqual([]);
  });

  it("yesterday's losses do not count, and today's below the limit leave trading on", async () => {
    const { rt } = await startWith([[TODAY - 60_000, -2_000], [TODAY + 3_600_000, -300]]);
    expect(rt.session.dailyLossLocked).toBe(false);
    expect((await rt.executeSignal(signal(), null)).ok).toBe(true);
  });
});
