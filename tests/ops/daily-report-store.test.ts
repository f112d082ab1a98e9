// The daily report's numbers come from the store: a real PGlite store with trades and signals over
// several days and two sources, checked against the same numbers recomputed here from the rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTransports } from '../../bot/index.js';
import type { BotEvent } from '../../handlers/control.js';
import { scheduleDailyReport } from '../../src/ops/daily-report.js';
import { dayStats, previousUtcDay } from '../../src/ops/daily-stats.js';
import { openStore } from '../../src/storage/open.js';
import type { SignalRecord, Store, TradeRecord } from '../../src/storage/store.js';
import { captureLogger } from '../chat/log-capture.js';
import { FakeControl } from '../chat/fake-control.js';
import { signalSet, tradeSet } from '../storage/fixtures.js';

let dir: string;
let store: Store;
let trades: TradeRecord[];
let signals: SignalRecord[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smc-daily-'));
  store = await openStore({ DATA_DIR: dir });
  trades = [...tradeSet('paper', 90, 11), ...tradeSet('backtest', 40, 12)];
  signals = [...signalSet('paper', trades.filter((t) => t.source === 'paper')), ...signalSet('backtest', trades.filter((t) => t.source === 'backtest'))];
  await store.upsertTrades(trades);
  await store.upsertSignals(signals);
  await store.flush(30_000);
}, 120_000);

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The report's numbers, recomputed from the rows that were written. */
function expected(day: string, source: string) {
  const from = Date.parse(`${day}T00:00:00Z`);
  const to = from + 86_400_000;
  const closed = trades.filter((t) => t.source === source && t.exit_time && t.exit_time.getTime() >= from && t.exit_time.getTime() < to);
  const sigs = signals.filter((s) => s.source === source && s.created_at.getTime() >= from && s.created_at.getTime() < to);
  const pnl = closed.map((t) => t.pnl_usd!);
  const wins = closed.filter((t) => t.pnl_usd! > 0).length;
  const best = closed.reduce<TradeRecord | null>((b, t) => (!b || t.pnl_usd! > b.pnl_usd! ? t : b), null);
  const worst = closed.reduce<TradeRecord | null>((w, t) => (!w || t.pnl_usd! < w.pnl_usd! ? t : w), null);
  return {
    trades: closed.length,
    wins,
    losses: closed.length - wins,
    winRate: closed.length ? Math.round((wins / closed.length) * 10_000) / 100 : null,
    pnlUsd: pnl.reduce((a, b) => a + b, 0),
    best: best && { symbol: best.symbol, pnlUsd: best.pnl_usd! },
    worst: worst && { symbol: worst.symbol, pnlUsd: worst.pnl_usd! },
    signalsGenerated: sigs.length,
    signalsExecuted: sigs.filter((s) => s.was_executed).length,
  };
}

describe('daily report from the store', () => {
  it('counts trades closed that UTC day, of the running source only, and the signals generated that day', async () => {
    for (const day of ['2026-03-02', '2026-03-03', '2026-03-05']) {
      const want = expected(day, 'paper');
      expect(want.trades).toBeGreaterThan(3); // the fixture really has trades that day
      const got = await dayStats(store, day, 'paper');
      expect(got.from.toISOString()).toBe(`${day}T00:00:00.000Z`);
      expect(got.trades).toBe(want.trades);
      expect(got.wins).toBe(want.wins);
      expect(got.losses).toBe(want.losses);
      expect(got.winRate).toBe(want.winRate);
      expect(got.pnlUsd).toBeCloseTo(want.pnlUsd, 6);
      expect(got.bestTrade?.symbol).toBe(want.best!.symbol);
      expect(got.bestTrade?.pnlUsd).toBeCloseTo(want.best!.pnlUsd, 6);
      expect(got.worstTrade?.symbol).toBe(want.worst!.symbol);
      expect(got.worstTrade?.pnlUsd).toBeCloseTo(want.worst!.pnlUsd, 6);
      expect(got.signalsGenerated).toBe(want.signalsGenerated);
      expect(got.signalsExecuted).toBe(want.signalsExecuted);
    }
  });

  it('is empty for a day without activity and records the day in daily_stats', async () => {
    const none = await dayStats(store, '2026-02-10', 'paper');
    expect(none).toMatchObject({ trades: 0, wins: 0, losses: 0, winRate: null, pnlUsd: 0, bestTrade: null, worstTrade: null, signalsGenerated: 0 });
    const recorded = (await store.computeDailyStats('2026-03-03')).find((r) => r.source === 'paper');
    expect(recorded?.total_trades).toBe(expected('2026-03-03', 'paper').trades);
  });

  it('the posted message shows the store\'s numbers', async () => {
    const day = '2026-03-03';
    const want = expected(day, 'paper');
    const lines: string[] = [];
    const { logger } = captureLogger();
    const chat = await startTransports({ TELEGRAM_ALLOWED_USER_IDS: [], DISCORD_ALLOWED_USER_IDS: [], DISCORD_ALLOWED_ROLE_IDS: [] }, new FakeControl(), logger, { consoleWrite: (l) => lines.push(l) });
    const published: BotEvent[] = [];
    const report = scheduleDailyReport({ stats: () => dayStats(store, day, 'paper'), publish: async (e) => { published.push(e); await chat.publish(e); }, logger });
    await report.runNow();
    await report.stop();
    await chat.stop();
    expect(published.map((e) => e.type)).toEqual(['daily_report']);
    const text = lines.join('\n');
    const money = (v: number) => `${v > 0 ? '+' : v < 0 ? '-' : ''}$${Math.abs(v).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    expect(text).toContain('2026-03-03 00:00 → 2026-03-04 00:00 UTC');
    expect(text).toMatch(new RegExp(`Trades\\s+${want.trades}\\n`));
    expect(text).toMatch(new RegExp(`Wins / losses\\s+${want.wins} / ${want.losses}\\n`));
    expect(text).toMatch(new RegExp(`Win rate\\s+${want.winRate!.toFixed(1)}%`));
    const re = (v: number) => money(v).replace(/[$+]/g, '\\$&');
    expect(text).toMatch(new RegExp(`PnL\\s+${re(want.pnlUsd)}\\n`));
    expect(text).toMatch(new RegExp(`Best\\s+${want.best!.symbol} ${re(want.best!.pnlUsd)}\\n`));
    expect(text).toMatch(new RegExp(`Worst\\s+${want.worst!.symbol} ${re(want.worst!.pnlUsd)}\\n`));
    expect(text).toMatch(new RegExp(`Signals\\s+${want.signalsGenerated}\\nExecuted\\s+${want.signalsExecuted}`));
  });

  it('a midnight run reports the UTC day that just ended', () => {
    expect(previousUtcDay(Date.parse('2026-03-04T00:00:00Z'))).toBe('2026-03-03');
    expect(previousUtcDay(Date.parse('2026-03-04T23:59:59.999Z'))).toBe('2026-03-03');
    expect(previousUtcDay(Date.parse('2026-03-01T00:00:05Z'))).toBe('2026-02-28');
  });
});
