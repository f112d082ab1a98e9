// Every order of the live runtime goes through the OrderExecutor (reliability.md §2.4): the real
// Runtime and bybit-api client against the fake Bybit. Entry timeouts are resolved by lookup (T01),
// an intent the store cannot take is never sent (T33), stop moves are retried on transient errors
// and alerted when refused (T11), and exits are reduce-only market orders with the session's id.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TradeResult } from '../../engine/session.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { RuntimeControl } from '../../src/runtime/control.js';
import { openStore } from '../../src/storage/open.js';
import type { Store } from '../../src/storage/store.js';
import type { BotEvent } from '../../handlers/control.js';
import { startFakeBybit, type FakeBybit } from '../fakes/bybit/server.js';
import { manualAdd, manualReduce } from '../fakes/bybit/state.js';
import { until } from '../exchange/helpers.js';
import { cleanups, closeTrade, exchangeCash, longSignal, openLong, PARAMS, runtimeOn } from './harness.js';

async function setup(store: Store | null = null, params = PARAMS) {
  const fake = await startFakeBybit();
  cleanups.push(() => fake.close());
  const published: BotEvent[] = [];
  const rt = runtimeOn(fake, store, published, { params, executor: { lookupAttempts: 3, lookupBackoffMs: 10, stopAttempts: 3 } });
  const results: TradeResult[] = [];
  rt.onTradeClosed = (t) => results.push(t);
  await rt.start();
  return { fake, rt, published, results };
}

/** The test's long signal on the minute before now. */
const signal = (time = Math.floor(Date.now() / 60_000) * 60_000 - 60_000) => longSignal(time);

async function openTrade(rt: Runtime, fake: FakeBybit): Promise<void> {
  await openLong(rt);
  expect(fake.state.positions.get('BTCUSDT')?.stopLoss).toBe(59_400);
}

const creates = (fake: FakeBybit) => fake.requests.filter((r) => r.path === '/v5/order/create');
const errors = (published: BotEvent[]) => published.filter((e): e is Extract<BotEvent, { type: 'error' }> => e.type === 'error').map((e) => e.message);

describe('runtime orders through the OrderExecutor', () => {
  it('T01 the entry was accepted but the answer was lost: found by its orderLinkId (the session id), never sent twice', async () => {
    const { fake, rt, published } = await setup();
    fake.faults.rest('/v5/order/create', { kind: 'commit-then-destroy' });
    await openTrade(rt, fake);
    const sent = creates(fake);
    expect(sent).toHaveLength(1);
    expect(sent[0].body.orderLinkId).toBe(`T-BTCUSDT-${signal().time}-e1`);
    expect(fake.state.orders).toHaveLength(1);
    expect(rt.executor.record(String(sent[0].body.orderLinkId))).toMatchObject({ status: 'filled', exchange_order_id: fake.state.orders[0].orderId });
    expect(errors(published)).toEqual([]);
  });

  it('T33 the store refuses the intent: the entry is not sent and an alert says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smc-orders-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const real = await openStore({ DATA_DIR: dir });
    cleanups.push(() => real.close());
    const store = new Proxy(real, {
      get(t, k) {
        if (k === 'upsertOrder') return async () => { throw new Error('journal disk full'); };
        const v = Reflect.get(t, k);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
    const { fake, rt, published } = await setup(store);
    await rt.executeSignal(signal(), null);
    await rt.idle();
    expect(creates(fake)).toHaveLength(0);
    expect(errors(published)).toEqual([expect.stringMatching(/^place_entry BTCUSDT failed: order not sent: the store could not record its intent \(journal disk full\)/)]);
  });

  it('T11 moving the stop: transient failures are retried until it is on the exchange; a refusal is alerted and the old stop stays', async () => {
    const { fake, rt, published } = await setup();
    await openTrade(rt, fake);
    fake.faults.rest('/v5/position/trading-stop', { kind: 'retCode', retCode: 10016, retMsg: 'service restarting' });
    fake.faults.rest('/v5/position/trading-stop', { kind: 'status', status: 502 });
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    fake.state.setPrice('BTCUSDT', 60_700);
    fake.pushKline('BTCUSDT', '1', { ts: minute + 60_000, open: 60_000, high: 60_720, low: 59_990, close: 60_700, volume: 1 }, true);
    await until(async () => { await rt.idle(); return fake.state.positions.get('BTCUSDT')!.stopLoss > 60_000; }, 'stop moved after retries');
    const stops = fake.requests.filter((r) => r.path === '/v5/position/trading-stop').map((r) => r.answered);
    expect(stops).toEqual(['retCode 10016', 'HTTP 502', 'retCode 0']);
    expect(fake.state.positions.get('BTCUSDT')!.stopLoss).toBeCloseTo(rt.session.openTrades().get('BTCUSDT')!.manager!.stop, 1);
    expect(errors(published)).toEqual([]);

    // A definitive refusal: not retried, alerted; the previous stop is still on the position.
    const held = fake.state.positions.get('BTCUSDT')!.stopLoss;
    fake.faults.rest('/v5/position/trading-stop', { kind: 'retCode', retCode: 10001, retMsg: 'StopLoss set for Buy position should lower than base_price' });
    fake.state.setPrice('BTCUSDT', 60_900);
    fake.pushKline('BTCUSDT', '1', { ts: minute + 120_000, open: 60_700, high: 60_950, low: 60_690, close: 60_900, volume: 1 }, true);
    await until(async () => { await rt.idle(); return errors(published).length > 0; }, 'alert');
    expect(errors(published)).toEqual([expect.stringMatching(/^move_stop BTCUSDT failed: .*should lower than base_price.*previous stop stays on the exchange/)]);
    expect(fake.requests.filter((r) => r.path === '/v5/position/trading-stop').map((r) => r.answered).slice(3)).toEqual(['retCode 10001']);
    expect(fake.state.positions.get('BTCUSDT')!.stopLoss).toBe(held);
  });

  it('a close is one reduce-only market order under the session id; its fill closes the trade once', async () => {
    const { fake, rt, published } = await setup();
    await openTrade(rt, fake);
    // Sized to the exchange's qty step by the session itself: the filled entry is complete, so the
    // close cancels nothing (an unrounded target left a filled entry "working" and cancelled it here).
    const t = rt.session.openTrades().get('BTCUSDT')!;
    expect(t.targetQty).toBeCloseTo(fake.state.positions.get('BTCUSDT')!.size, 12);
    expect(t).toMatchObject({ entryPhase: 'done', entryOrderId: null });
    await closeTrade(rt, published);
    const exit = fake.state.orders.find((o) => o.reduceOnly && o.orderLinkId)!;
    expect(exit).toMatchObject({ orderLinkId: `T-BTCUSDT-${signal().time}-x1`, orderType: 'Market', side: 'Sell', orderStatus: 'Filled' });
    expect(rt.executor.record(exit.orderLinkId)).toMatchObject({ purpose: 'exit', reduce_only: true, status: 'filled' });
    expect(fake.state.positions.get('BTCUSDT')!.size).toBe(0);
    expect(published.filter((e) => e.type === 'trade_closed')).toHaveLength(1);
    expect(fake.requests.filter((r) => r.path === '/v5/order/cancel')).toHaveLength(0);
  });

  it('T15 at the limit timeout the limit fills while it is cancelled: the market chase is cut to what is left, the position never exceeds its size', async () => {
    const { fake, rt, published } = await setup(null, { ...PARAMS, use_limit_entry: true, limit_timeout_seconds: 60 });
    const sig = signal();
    expect((await rt.executeSignal(sig, null)).ok).toBe(true);
    await until(async () => { await rt.idle(); return fake.state.orders.some((o) => o.orderType === 'Limit' && o.orderStatus === 'New'); }, 'resting limit entry');
    const target = rt.session.openTrades().get('BTCUSDT')!.targetQty;
    fake.faults.fillBeforeCancel(1);
    // The candle that ends the limit's 60 s; price has not run, so the session chases the whole remainder.
    fake.pushKline('BTCUSDT', '1', { ts: sig.time + 60_000, open: 60_000, high: 60_010, low: 59_990, close: 60_000, volume: 5 }, true);
    await until(async () => { await rt.idle(); return fake.state.orders.some((o) => o.orderType === 'Limit' && o.orderStatus === 'Filled'); }, 'limit filled in the cancel race');
    const limit = fake.state.orders.find((o) => o.orderType === 'Limit')!;
    await until(async () => { await rt.idle(); return rt.session.openTrades().get('BTCUSDT')?.qty === limit.cumExecQty; }, 'session counts the late limit fill');
    expect(fake.state.orders.filter((o) => o.orderType === 'Market')).toHaveLength(0);
    expect(limit.cumExecQty).toBeCloseTo(target, 2); // the whole entry, rounded to the qty step
    expect(fake.state.positions.get('BTCUSDT')!.size).toBe(limit.cumExecQty);
    expect(errors(published)).toEqual([]);
  });

  it('the trader trims the position by hand while the bot runs: that part counts in the PnL and the rest stays managed', async () => {
    const { fake, rt, published, results } = await setup();
    await openTrade(rt, fake);
    const entered = fake.state.positions.get('BTCUSDT')!.size;
    const trim = Math.round(entered * 0.4 * 1000) / 1000;
    fake.state.setPrice('BTCUSDT', 60_300);
    const { exec } = manualReduce(fake.state, 'BTCUSDT', trim);
    await until(async () => { await rt.idle(); return rt.session.openTrades().get('BTCUSDT')!.exitQty > 0; }, 'manual reduce counted');
    const t = rt.session.openTrades().get('BTCUSDT')!;
    expect(t.closing).toBeNull();
    const [view] = await new RuntimeControl(rt).positions();
    expect(view.qty).toBeCloseTo(entered - trim, 12);
    // Still managed: a candle past 50 % of the target moves the stop to break-even on the exchange.
    fake.state.setPrice('BTCUSDT', 60_700);
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    fake.pushKline('BTCUSDT', '1', { ts: minute + 60_000, open: 60_300, high: 60_720, low: 60_290, close: 60_700, volume: 12 }, true);
    await until(async () => { await rt.idle(); return fake.state.positions.get('BTCUSDT')!.stopLoss > 60_000; }, 'stop moved for the rest');
    await closeTrade(rt, published);
    // Net PnL is what the exchange's executions say: every exit against the entry, minus every fee.
    const cash = exchangeCash(fake);
    expect(fake.state.executions.some((e) => e.execId === exec.execId)).toBe(true);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ exitReason: 'manual', qty: entered });
    expect(results[0].netPnl).toBeCloseTo(cash, 6);
    expect(fake.state.positions.get('BTCUSDT')!.size).toBe(0);
  });

  it('the trader adds to the position by hand while the bot runs: it joins the trade, the bot closes all of it, the PnL is the exchange\'s', async () => {
    const { fake, rt, published, results } = await setup();
    await openTrade(rt, fake);
    const entered = fake.state.positions.get('BTCUSDT')!.size;
    fake.state.setPrice('BTCUSDT', 60_200);
    const added = manualAdd(fake.state, 'BTCUSDT', 0.01);
    await until(async () => { await rt.idle(); return rt.session.openTrades().get('BTCUSDT')!.qty > entered; }, 'manual add counted');
    const t = rt.session.openTrades().get('BTCUSDT')!;
    const pos = fake.state.positions.get('BTCUSDT')!;
    expect(t.qty).toBeCloseTo(pos.size, 12);
    expect(t.entryCost / t.qty).toBeCloseTo(pos.avgPrice, 6);
    expect(t.entryPhase).toBe('done');
    expect(fake.requests.filter((r) => r.path === '/v5/order/create')).toHaveLength(1); // no entry order sent for it
    await closeTrade(rt, published);
    const cash = exchangeCash(fake);
    expect(fake.state.executions.some((e) => e.execId === added.execId)).toBe(true);
    expect(results).toHaveLength(1);
    expect(results[0].qty).toBeCloseTo(entered + 0.01, 12);
    expect(results[0].netPnl).toBeCloseTo(cash, 6);
    expect(results[0].entryOrderType).toBe('market');
    expect(fake.state.positions.get('BTCUSDT')!.size).toBe(0);
  });

  it('T07 an entry Bybit refuses (110007) frees its slot and its coin: the signal is a missed entry and the next one trades', async () => {
    const { fake, rt, published } = await setup();
    fake.faults.rest('/v5/order/create', { kind: 'retCode', retCode: 110007, retMsg: 'ab not enough for new order' }, 1);
    const first = signal();
    expect((await rt.executeSignal(first, null)).ok).toBe(true);
    await rt.idle();
    expect(errors(published)).toEqual([expect.stringMatching(/^place_entry BTCUSDT failed: .*110007/)]);
    expect(rt.session.openTradeCount).toBe(0);
    expect(fake.state.orders).toHaveLength(0);
    // The same coin trades again on the next signal (nothing left waiting for the refused order).
    const next = signal(first.time + 60_000);
    expect((await rt.executeSignal(next, null)).ok).toBe(true);
    await until(async () => { await rt.idle(); return (rt.session.openTrades().get('BTCUSDT')?.qty ?? 0) > 0; }, 'second entry fill');
    expect(fake.state.orders).toHaveLength(1);
  });

  it('a close Bybit refuses is asked again on the next candle: the trade is not left half-closed', async () => {
    const { fake, rt, published } = await setup();
    await openTrade(rt, fake);
    fake.faults.rest('/v5/order/create', { kind: 'retCode', retCode: 10001, retMsg: 'params error: reduce-only rejected' }, 1);
    await rt.runExclusive(async () => { rt.session.requestClose('BTCUSDT'); await rt.processDrained(); });
    await rt.idle();
    expect(errors(published)).toEqual([expect.stringMatching(/^close_position BTCUSDT failed: .*10001/)]);
    expect(fake.state.positions.get('BTCUSDT')!.size).toBeGreaterThan(0);
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    fake.pushKline('BTCUSDT', '1', { ts: minute, open: 60_000, high: 60_010, low: 59_990, close: 60_000, volume: 5 }, true);
    await until(async () => { await rt.idle(); return published.some((e) => e.type === 'trade_closed'); }, 'trade closed by the retried close');
    expect(fake.state.positions.get('BTCUSDT')!.size).toBe(0);
    const closes = fake.state.orders.filter((o) => o.reduceOnly && o.orderLinkId);
    expect(closes.map((o) => o.orderLinkId)).toEqual([`T-BTCUSDT-${signal().time}-x2`]);
  });

  it('after a trim by hand, a refused close is still asked again (the trim is not mistaken for a partial close fill)', async () => {
    const { fake, rt, published } = await setup();
    await openTrade(rt, fake);
    manualReduce(fake.state, 'BTCUSDT', 0.05);
    await until(async () => { await rt.idle(); return rt.session.openTrades().get('BTCUSDT')!.exitQty > 0; }, 'trim counted');
    fake.faults.rest('/v5/order/create', { kind: 'retCode', retCode: 10001, retMsg: 'params error' }, 1);
    await rt.runExclusive(async () => { rt.session.requestClose('BTCUSDT'); await rt.processDrained(); });
    await rt.idle();
    expect(errors(published)).toHaveLength(1);
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    fake.pushKline('BTCUSDT', '1', { ts: minute, open: 60_000, high: 60_010, low: 59_990, close: 60_000, volume: 5 }, true);
    await until(async () => { await rt.idle(); return published.some((e) => e.type === 'trade_closed'); }, 'closed by the retried close');
    expect(fake.state.positions.get('BTCUSDT')!.size).toBe(0);
  });

  it('an approved signal whose entry Bybit refuses is reported as not executed, not as executed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smc-orders-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = await openStore({ DATA_DIR: dir });
    cleanups.push(() => store.close());
    const sig = signal();
    const now = new Date();
    await store.upsertApproval({
      id: '00000000-0000-4000-8000-000000000001', signal_id: sig.id, payload: sig, status: 'pending', decided_by: null, messages: [],
      expires_at: new Date(now.getTime() + 120_000), created_at: now, updated_at: now,
    });
    await store.flush(5_000);
    const { fake, rt } = await setup(store);
    fake.faults.rest('/v5/order/create', { kind: 'retCode', retCode: 110007, retMsg: 'ab not enough for new order' }, 1);
    const outcome = await new RuntimeControl(rt).approve('00000000-0000-4000-8000-000000000001', '@alice');
    expect(outcome).toEqual({ kind: 'refused', reason: 'error', detail: 'the exchange did not take the entry order' });
    expect(rt.session.openTradeCount).toBe(0);
    expect((await store.getApproval('00000000-0000-4000-8000-000000000001'))?.status).toBe('refused');
  });
});
