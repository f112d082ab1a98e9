// The behaviour every Store must show, run against PGlite, PostgreSQL and Supabase (fake PostgREST).
// Tests on a shared database use their own ids, sources and lease accounts.
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { Store } from '../../src/storage/store.js';
import {
  approval, mlRow, order, signal, signalSet, trade, tradeSet, tsDailyStats, tsPerformanceByFactor, tsWinRateByConfidence,
} from './fixtures.js';

export function storeContract(store: () => Store): void {
  it('round-trips a trade with numbers as numbers and times as Dates, and an upsert updates it in place', async () => {
    const src = `rt-${randomUUID()}`;
    const t = trade({ source: src, pnl_usd: 0.30000000000000004, mtf_rsi: 28.41 });
    await store().upsertTrade(t);
    expect(await store().openTrades(src)).toEqual([t]);
    const closedT = { ...t, exit_price: 43_901.5, exit_time: new Date('2026-03-02T12:00:00.123Z'), exit_reason: 'take_profit' as const,
      pnl_usd: 14.25, pnl_percent: 10.02, fees_usd: 1.1, funding_usd: -0.02, duration_minutes: 105 };
    await store().upsertTrade(closedT);
    expect(await store().openTrades(src)).toEqual([]);
    const between = await store().tradesBetween(new Date('2026-03-02T00:00:00Z'), new Date('2026-03-03T00:00:00Z'), src);
    expect(between).toEqual([closedT]);
    expect(typeof between[0].entry_price).toBe('number');
    expect(between[0].exit_time).toBeInstanceOf(Date);
  });

  it('round-trips signals (factors as JSON) and ML feature rows', async () => {
    const src = `sig-${randomUUID()}`;
    const s = signal({ id: `BTCUSDT-long-${randomUUID()}`, source: src, created_at: new Date('2031-01-05T00:00:00Z') });
    await store().upsertSignal(s);
    await store().upsertSignal({ ...s, was_executed: true, skip_reason: null });
    const days = await store().dailyStats('2031-01-05', '2031-01-05', src);
    expect(days.map((d) => [d.signals_generated, d.signals_executed])).toEqual([[1, 1]]);
    const f = mlRow({ signal_id: s.id });
    await store().upsertMlFeatures(f);
    await store().upsertMlFeatures({ ...f, outcome: 'win', pnl_percent: 3.5 });
    const mine = (await store().mlFeatures()).filter((x) => x.id === f.id);
    expect(mine).toEqual([{ ...f, outcome: 'win', pnl_percent: 3.5 }]);
  });

  it('keeps order intents by orderLinkId; open orders leave out final states', async () => {
    const intent = order();
    await store().upsertOrder(intent);
    expect(await store().orderByLinkId(intent.order_link_id)).toEqual(intent);
    const filled = order({ created_at: new Date('2026-03-02T10:16:00Z'), updated_at: new Date('2026-03-02T10:16:00Z') });
    await store().upsertOrder(filled);
    await store().upsertOrder({ ...filled, status: 'filled', filled_qty: 0.023, avg_price: 43_207.25, exchange_order_id: 'ex-1' });
    const open = (await store().openOrders()).map((o) => o.id);
    expect(open).toContain(intent.id);
    expect(open).not.toContain(filled.id);
    expect((await store().orderByLinkId(filled.order_link_id))?.status).toBe('filled');
    expect(await store().orderByLinkId('no-such-link')).toBeNull();
  });

  it('stores the single bot state row', async () => {
    const a = { mode: 'auto' as const, paused: true, daily_loss_lock: '2026-03-02', updated_at: new Date('2026-03-02T10:00:00Z') };
    await store().setBotState(a);
    expect(await store().getBotState()).toEqual(a);
    const b = { mode: 'approve' as const, paused: false, daily_loss_lock: null, updated_at: new Date('2026-03-02T11:00:00Z') };
    await store().setBotState(b);
    expect(await store().getBotState()).toEqual(b);
  });

  it('approvals survive as rows and exactly one of two racing decisions wins', async () => {
    const a = approval();
    await store().upsertApproval(a);
    expect(await store().getApproval(a.id)).toEqual(a);
    expect((await store().pendingApprovals()).map((x) => x.id)).toContain(a.id);
    const results = await Promise.all([
      store().decideApproval(a.id, 'pending', 'approved', 'telegram:1'),
      store().decideApproval(a.id, 'pending', 'rejected', 'discord:2'),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const after = await store().getApproval(a.id);
    expect(after?.status).toBe(results[0] ? 'approved' : 'rejected');
    expect(after?.decided_by).toBe(results[0] ? 'telegram:1' : 'discord:2');
    expect((await store().pendingApprovals()).map((x) => x.id)).not.toContain(a.id);
    expect(await store().decideApproval(randomUUID(), 'pending', 'approved', 'x')).toBe(false);
  });

  it('gives the trading lease to one holder until it is released or expires', async () => {
    const acct = `acct-${randomUUID()}`;
    expect(await store().acquireLease('A', 60_000, acct)).toBe(true);
    expect(await store().acquireLease('B', 60_000, acct)).toBe(false);
    expect(await store().renewLease('A', 60_000, acct)).toBe(true);
    expect(await store().renewLease('B', 60_000, acct)).toBe(false);
    await store().releaseLease('A', acct);
    expect(await store().acquireLease('B', 1, acct)).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    expect(await store().acquireLease('A', 60_000, acct)).toBe(true); // B's lease expired
    expect(await store().renewLease('B', 60_000, acct)).toBe(false);
  });

  it('computes the analytics views in SQL with the same numbers as TypeScript', async () => {
    const src = `bt-${randomUUID()}`;
    const trades = tradeSet(src);
    const sigs = signalSet(src, trades);
    await store().upsertTrades(trades);
    await store().upsertSignals(sigs);
    await store().upsertTrades(trades.slice(0, 10)); // replayed bulk write: still one row each
    expect(await store().winRateByConfidence(src)).toEqual(tsWinRateByConfidence(trades, src));
    expect((await store().winRateByConfidence(src)).map((b) => b.confidence_bucket)).toContain('<80');
    expect(await store().performanceByFactor(src)).toEqual(tsPerformanceByFactor(trades, src));
    const daily = await store().dailyStats('2026-03-01', '2026-03-31', src);
    const expected = tsDailyStats(trades, sigs, src);
    expect(daily.map(({ total_pnl_usd, total_pnl_percent, ...rest }) => rest))
      .toEqual(expected.map(({ total_pnl_usd, total_pnl_percent, ...rest }) => rest));
    daily.forEach((d, i) => {
      expect(d.total_pnl_usd).toBeCloseTo(expected[i].total_pnl_usd, 9);
      expect(d.total_pnl_percent).toBeCloseTo(expected[i].total_pnl_percent, 9);
    });
    const stored = (await store().computeDailyStats(daily[0].date)).filter((d) => d.source === src);
    expect(stored).toEqual([daily[0]]);
    const coins = await store().coinPerformance(src);
    expect(coins.map((c) => c.symbol)).toEqual(['AVAXUSDT', 'BTCUSDT', 'DOGEUSDT', 'ETHUSDT', 'SOLUSDT']);
    expect(coins.reduce((a, c) => a + c.total_trades, 0)).toBe(trades.filter((t) => t.exit_time).length);
  });
}
