// A restart in the middle of a trade (reliability.md §6 T26-T28, T34): the whole Runtime with a real
// store (PGlite behind the write journal) and the real bybit-api client against the fake Bybit. A
// trade opens through the OrderExecutor, its stop moves, the process stops; a new Runtime on the
// same store and exchange resumes it. Asserted: no duplicate order, no lost or double-counted fill,
// a stop on the exchange, and the open-trade state after the restart equal to the state before.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime/runtime.js';
import { uuidFor } from '../../src/runtime/records.js';
import { openStore } from '../../src/storage/open.js';
import { PgliteStore } from '../../src/storage/pglite-store.js';
import { QueuedStore } from '../../src/storage/queued-store.js';
import type { OrderRecord, Store } from '../../src/storage/store.js';
import type { BotEvent } from '../../handlers/control.js';
import { startFakeBybit, type FakeBybit } from '../fakes/bybit/server.js';
import { until } from '../exchange/helpers.js';
import { cleanups, longSignal, runtimeOn } from './harness.js';

const MODE = 'testnet';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'smc-restart-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** What "the open trade" is, as the session, the store and the exchange each see it. */
async function openTradeState(rt: Runtime, store: Store, fake: FakeBybit) {
  const t = rt.session.openTrades().get('BTCUSDT');
  // While the database is down its rows cannot be read (they wait in the journal).
  const rows = await store.openTrades(MODE).catch(() => null);
  const pos = fake.state.positions.get('BTCUSDT');
  return {
    session: t && {
      symbol: t.symbol, direction: t.direction, qty: t.qty, entryPrice: t.entryCost / t.qty, entryTime: t.entryTime,
      leverage: t.leverage, takeProfit: t.signal.targets.takeProfit, stop: Math.round((t.manager?.stop ?? NaN) * 10) / 10,
    },
    store: rows?.map((r) => ({ id: r.id, symbol: r.symbol, direction: r.direction, entry_price: r.entry_price, entry_time: r.entry_time, position_size: r.position_size, leverage: r.leverage })),
    exchange: pos && { side: pos.side, size: pos.size, avgPrice: pos.avgPrice, stopLoss: pos.stopLoss, takeProfit: pos.takeProfit },
  };
}

/** Opens a trade through the runtime and moves its stop with a candle past 50 % of the target. */
async function openTradeAndMoveStop(rt: Runtime, fake: FakeBybit): Promise<string> {
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const signal = longSignal(minute - 60_000);
  const r = await rt.executeSignal(signal, null);
  expect(r.ok).toBe(true);
  await until(async () => { await rt.idle(); return (rt.session.openTrades().get('BTCUSDT')?.qty ?? 0) > 0; }, 'entry fill through the stream');
  const initialStop = fake.state.positions.get('BTCUSDT')!.stopLoss;
  expect(initialStop).toBe(59_400); // attached to the position with the entry
  fake.state.setPrice('BTCUSDT', 60_700);
  // The manager looks only at candles that start after the entry fill.
  fake.pushKline('BTCUSDT', '1', { ts: minute + 60_000, open: 60_000, high: 60_720, low: 59_990, close: 60_700, volume: 12 }, true);
  await until(async () => { await rt.idle(); return fake.state.positions.get('BTCUSDT')!.stopLoss > 60_000; }, 'stop moved on the exchange');
  return uuidFor('trade', `T-BTCUSDT-${signal.time}`, MODE);
}

/** A first process opens a trade (its stop moved) on a fresh fake and store, then stops mid-trade. */
async function tradeThenStop(): Promise<{ fake: FakeBybit; dir: string; tradeRowId: string }> {
  const fake = await startFakeBybit();
  cleanups.push(() => fake.close());
  const dir = tempDir();
  const store1 = await openStore({ DATA_DIR: dir });
  const rt1 = runtimeOn(fake, store1, []);
  await rt1.start();
  const tradeRowId = await openTradeAndMoveStop(rt1, fake);
  await rt1.stop();
  await store1.close();
  return { fake, dir, tradeRowId };
}

/** No orderLinkId was ever sent twice and the exchange holds each at most once. */
function assertNoDuplicateOrders(fake: FakeBybit): void {
  const links = fake.state.orders.map((o) => o.orderLinkId).filter(Boolean);
  expect(new Set(links).size).toBe(links.length);
  const sent = fake.requests.filter((r) => r.path === '/v5/order/create' && r.answered === 'retCode 0').map((r) => r.body.orderLinkId);
  expect(new Set(sent).size).toBe(sent.length);
}

function orderRow(link: string, at: Date): OrderRecord {
  return {
    id: uuidFor('order', link, MODE), order_link_id: link, trade_id: null, symbol: 'ETHUSDT', side: 'Buy', order_type: 'limit', purpose: 'entry',
    qty: 0.5, price: 2_000, reduce_only: false, status: 'intent', exchange_order_id: null, filled_qty: 0, avg_price: null, created_at: at, updated_at: at,
  };
}

async function restartScenario(fake: FakeBybit, store1: Store, reopen: () => Promise<Store>, during?: { down: () => void }) {
  const published1: BotEvent[] = [];
  const rt1 = runtimeOn(fake, store1, published1);
  await rt1.start();
  during?.down();
  const tradeRowId = await openTradeAndMoveStop(rt1, fake);
  // Two intents the previous process left: one never sent, one the exchange did receive (resting).
  const now = new Date();
  await store1.upsertOrder(orderRow('T-ETHUSDT-1-e1', now));
  const resting = fake.state.newOrder({ symbol: 'ETHUSDT', side: 'Buy', orderType: 'Limit', qty: 0.5, price: 2_000, reduceOnly: false, orderLinkId: 'T-ETHUSDT-2-e1' });
  fake.state.submit(resting);
  await store1.upsertOrder(orderRow('T-ETHUSDT-2-e1', now));
  await rt1.idle();
  const before = await openTradeState(rt1, store1, fake);
  // Stop the process in the middle of the trade.
  await rt1.stop();
  await store1.close();

  const store2 = await reopen();
  const published2: BotEvent[] = [];
  const rt2 = runtimeOn(fake, store2, published2);
  await rt2.start();
  await rt2.idle();
  const after = await openTradeState(rt2, store2, fake);
  return { rt2, store2, before, after, published2, tradeRowId };
}

async function finishAfterRestart(fake: FakeBybit, rt2: Runtime, store2: Store, published2: BotEvent[], tradeRowId: string) {
  // The exchange's stop is hit after the restart: the exit fill is counted once, under the trade's own row.
  const stop = fake.state.positions.get('BTCUSDT')!.stopLoss;
  fake.state.setPrice('BTCUSDT', stop - 5);
  await until(async () => { await rt2.idle(); return published2.some((e) => e.type === 'trade_closed'); }, 'trade closed after restart');
  // The same executions delivered again (private socket dropped → REST resync): nothing counted twice.
  fake.faults.dropWs('private');
  await until(() => fake.requests.filter((r) => r.path === '/v5/execution/list').length >= 3, 'resync after the drop');
  await rt2.idle();
  expect(published2.filter((e) => e.type === 'trade_closed')).toHaveLength(1);
  expect(rt2.session.openTradeCount).toBe(0);
  await store2.flush(5_000);
  const rows = await store2.tradesBetween(new Date(0), new Date(Date.now() + 86_400_000), MODE);
  expect(rows.map((r) => r.id)).toEqual([tradeRowId]);
  const exitFill = fake.state.executions.filter((e) => e.symbol === 'BTCUSDT' && e.closedSize > 0);
  const stopFill = exitFill.filter((e) => e.stopOrderType === 'StopLoss');
  expect(stopFill).toHaveLength(1);
  // The trade's own row: its entry size, closed at the average of its exits (the stop's fill, and
  // a part closed by hand while the bot was down).
  const entry = fake.state.orders.find((o) => o.symbol === 'BTCUSDT' && !o.reduceOnly)!;
  expect(rows[0]).toMatchObject({ position_size: entry.cumExecQty });
  const exitQty = exitFill.reduce((a, e) => a + e.execQty, 0);
  expect(rows[0].exit_price).toBeCloseTo(exitFill.reduce((a, e) => a + e.execPrice * e.execQty, 0) / exitQty, 6);
  expect(rows[0].exit_reason).not.toBeNull();
  expect(fake.state.positions.get('BTCUSDT')!.size).toBe(0);
}

describe('restart in the middle of a trade (runtime, real store, fake Bybit)', () => {
  it('T26/T27/T28 resumes the open trade with its stop: same state, no duplicate order, every fill counted once', async () => {
    const fake = await startFakeBybit();
    cleanups.push(() => fake.close());
    const dir = tempDir();
    const store1 = await openStore({ DATA_DIR: dir });
    const { rt2, store2, before, after, published2, tradeRowId } = await restartScenario(fake, store1, () => openStore({ DATA_DIR: dir }));
    cleanups.push(() => store2.close());

    expect(before.session).toBeDefined();
    expect(after).toEqual(before);
    expect(after.store?.map((r) => r.id)).toEqual([tradeRowId]);
    expect(after.exchange!.stopLoss).toBeGreaterThan(60_000); // the moved stop, still on the exchange
    expect(after.store).toHaveLength(1);
    assertNoDuplicateOrders(fake);
    // The intent that never reached the exchange is marked failed and was not sent now.
    expect(await store2.orderByLinkId('T-ETHUSDT-1-e1')).toMatchObject({ status: 'rejected' });
    expect(fake.requests.some((r) => r.path === '/v5/order/create' && r.body.orderLinkId === 'T-ETHUSDT-1-e1')).toBe(false);
    // The one the exchange had was adopted, and as a resting entry of the old process, cancelled.
    expect(fake.state.findOrder('T-ETHUSDT-2-e1')?.orderStatus).toBe('Cancelled');
    await store2.flush(5_000);
    expect(await store2.orderByLinkId('T-ETHUSDT-2-e1')).toMatchObject({ status: 'cancelled', exchange_order_id: fake.state.findOrder('T-ETHUSDT-2-e1')!.orderId });
    // The entry's own row: sent once, filled, linked to the exchange order.
    const entry = fake.state.orders.find((o) => o.symbol === 'BTCUSDT' && !o.reduceOnly)!;
    expect(entry.orderLinkId).toMatch(/^T-BTCUSDT-\d+-e1$/); // the session's id is the orderLinkId
    expect(await store2.orderByLinkId(entry.orderLinkId)).toMatchObject({ status: 'filled', filled_qty: entry.cumExecQty, exchange_order_id: entry.orderId });
    expect(after.session!.qty).toBe(entry.cumExecQty);
    await finishAfterRestart(fake, rt2, store2, published2, tradeRowId);
    expect(published2.filter((e) => e.type === 'error')).toEqual([]);
    // Net PnL carries every fee the exchange charged, also the entry's, paid before the restart.
    const [row] = await store2.tradesBetween(new Date(0), new Date(Date.now() + 86_400_000), MODE);
    const all = fake.state.executions.filter((e) => e.symbol === 'BTCUSDT');
    const signed = (e: (typeof all)[number]) => (e.side === 'Sell' ? 1 : -1) * e.execPrice * e.execQty;
    const fees = all.reduce((a, e) => a + e.execFee, 0);
    expect(row.fees_usd).toBeCloseTo(fees, 6);
    expect(row.pnl_usd).toBeCloseTo(all.reduce((a, e) => a + signed(e), 0) - fees, 6);
  });

  it('a fill made while the process was down is in the adopted position and is not applied again when the stream re-delivers it', async () => {
    const { fake, dir, tradeRowId } = await tradeThenStop();
    // While nobody runs: half the position is closed by hand on the exchange.
    const size = fake.state.positions.get('BTCUSDT')!.size;
    const half = Math.round((size / 2) * 1000) / 1000;
    fake.state.submit(fake.state.newOrder({ symbol: 'BTCUSDT', side: 'Sell', orderType: 'Market', qty: half, price: 0, reduceOnly: true, orderLinkId: 'manual-1' }));
    const manualExec = fake.state.executions.find((e) => e.orderLinkId === 'manual-1')!;
    const left = fake.state.positions.get('BTCUSDT')!.size;

    const store2 = await openStore({ DATA_DIR: dir });
    cleanups.push(() => store2.close());
    const published2: BotEvent[] = [];
    const rt2 = runtimeOn(fake, store2, published2);
    await rt2.start(); // subscribing pulls recent executions once: the manual fill comes again
    await rt2.idle();
    const resyncs = fake.requests.filter((r) => r.path === '/v5/execution/list');
    expect(resyncs.length).toBeGreaterThanOrEqual(2); // start-up recovery + the pull after subscribing
    expect(rt2.executor.hasSeen(manualExec.execId)).toBe(true);
    expect(rt2.session.openTrades().get('BTCUSDT')?.qty).toBe(left);
    expect(published2.filter((e) => e.type === 'trade_closed')).toHaveLength(0);
    await finishAfterRestart(fake, rt2, store2, published2, tradeRowId);
  });

  it('T30 the stop was hit while the process was down: the trade is closed from the exchange executions, nothing is adopted', async () => {
    const { fake, dir, tradeRowId } = await tradeThenStop();
    const stop = fake.state.positions.get('BTCUSDT')!.stopLoss;
    fake.state.setPrice('BTCUSDT', stop - 20); // the exchange's stop fires while nobody runs
    const stopFill = fake.state.executions.find((e) => e.stopOrderType === 'StopLoss')!;

    const store2 = await openStore({ DATA_DIR: dir });
    cleanups.push(() => store2.close());
    const published2: BotEvent[] = [];
    const rt2 = runtimeOn(fake, store2, published2);
    await rt2.start();
    await rt2.idle();
    expect(rt2.session.openTradeCount).toBe(0);
    await store2.flush(5_000);
    expect(await store2.openTrades(MODE)).toEqual([]);
    const [row] = await store2.tradesBetween(new Date(0), new Date(Date.now() + 86_400_000), MODE);
    const entry = fake.state.executions.find((e) => e.symbol === 'BTCUSDT' && e.closedSize === 0)!;
    expect(row).toMatchObject({
      id: tradeRowId, exit_reason: 'stop_loss', exit_price: stopFill.execPrice, exit_time: new Date(stopFill.execTime),
    });
    // Net of every fee the exchange charged: the entry's too.
    expect(row.pnl_usd).toBeCloseTo((stopFill.execPrice - entry.execPrice) * stopFill.execQty - stopFill.execFee - entry.execFee, 6);
    assertNoDuplicateOrders(fake);
  });

  it('T18 an order sent before the restart that Bybit still does not show: left unknown, never re-sent, and the trader is alerted', async () => {
    const fake = await startFakeBybit();
    cleanups.push(() => fake.close());
    const store = await openStore({ DATA_DIR: tempDir() });
    cleanups.push(() => store.close());
    const at = new Date(Date.now() - 60_000);
    await store.upsertOrder({ ...orderRow('T-ETHUSDT-3-e1', at), status: 'unknown' });
    const published: BotEvent[] = [];
    const rt = runtimeOn(fake, store, published);
    await rt.start();
    expect(rt.executor.record('T-ETHUSDT-3-e1')?.status).toBe('unknown');
    expect(fake.requests.filter((r) => r.path === '/v5/order/create')).toEqual([]);
    const alerts = published.filter((e): e is Extract<BotEvent, { type: 'error' }> => e.type === 'error').map((e) => e.message);
    expect(alerts).toEqual([expect.stringMatching(/^ETHUSDT entry order T-ETHUSDT-3-e1 .*state is unknown — check open orders/)]);
  });

  it('T29 positions the bot has no record of: a coin it does not trade is left alone; one of its coins is taken over with a stop and the trader is told', async () => {
    const fake = await startFakeBybit();
    cleanups.push(() => fake.close());
    fake.state.addInstrument({ symbol: 'XRPUSDT', tickSize: '0.0001', qtyStep: '1', minOrderQty: '1', maxOrderQty: '1000000', minNotionalValue: '5', maxLeverage: '75.00', status: 'Trading' }, 0.5);
    // The trader's own trades on the same account, made by hand (no stops).
    for (const [symbol, qty] of [['XRPUSDT', 1_000], ['BTCUSDT', 0.01]] as const) {
      fake.state.submit(fake.state.newOrder({ symbol, side: 'Buy', orderType: 'Market', qty, price: 0, reduceOnly: false, orderLinkId: '' }));
    }
    const store = await openStore({ DATA_DIR: tempDir() });
    cleanups.push(() => store.close());
    const published: BotEvent[] = [];
    const rt = runtimeOn(fake, store, published);
    await rt.start();
    expect([...rt.session.openTrades().keys()]).toEqual(['BTCUSDT']);
    expect(fake.state.positions.get('XRPUSDT')).toMatchObject({ size: 1_000, stopLoss: 0 });
    expect(fake.requests.filter((r) => r.body.symbol === 'XRPUSDT')).toEqual([]);
    expect(fake.state.positions.get('BTCUSDT')!.stopLoss).toBeCloseTo(60_000 * 0.98, 1);
    const alerts = published.filter((e): e is Extract<BotEvent, { type: 'error' }> => e.type === 'error').map((e) => e.message);
    expect(alerts).toEqual([expect.stringMatching(/^BTCUSDT: found an open long of 0\.01 @ 60000 on Bybit that the bot has no record of; the bot now manages it .*\/close BTCUSDT/)]);
  });

  it('T34 with the database down during the trade: writes wait in the journal across the restart and the trade resumes the same', async () => {
    const fake = await startFakeBybit();
    cleanups.push(() => fake.close());
    const dir = tempDir();
    const ctl = { down: false };
    const open = async (flaky: boolean) => {
      const inner = await PgliteStore.open(dir);
      await inner.migrate();
      const db = flaky ? outage(inner, ctl) : inner;
      return QueuedStore.open(db, join(dir, 'journal'), { retryBaseMs: 20, retryMaxMs: 50, closeTimeoutMs: 300 });
    };
    const store1 = await open(true);
    let queuedAtStop = 0;
    const close1 = store1.close.bind(store1);
    store1.close = async () => { queuedAtStop = store1.queueLength(); await close1(); };
    // The database comes back before the new process starts.
    const { rt2, store2, before, after, published2, tradeRowId } = await restartScenario(fake, store1, async () => { ctl.down = false; return open(false); }, { down: () => { ctl.down = true; } });
    cleanups.push(() => store2.close());
    expect(queuedAtStop).toBeGreaterThan(0); // the intent, the order updates and the trade row waited in the journal
    expect(before.store).toBeUndefined(); // unreadable while down
    expect(after.session).toEqual(before.session);
    expect(after.exchange).toEqual(before.exchange);
    // The trade row written during the outage arrived after the restart, under the trade's own id.
    expect(after.store).toEqual([{ id: tradeRowId, symbol: 'BTCUSDT', direction: 'long', entry_price: after.session!.entryPrice, entry_time: new Date(after.session!.entryTime), position_size: after.session!.qty, leverage: 10 }]);
    assertNoDuplicateOrders(fake);
    expect(await store2.orderByLinkId('T-ETHUSDT-1-e1')).toMatchObject({ status: 'rejected' });
    await finishAfterRestart(fake, rt2, store2, published2, tradeRowId);
  });
});

/** The database as seen through a dead network: every call fails while `ctl.down`. */
function outage(inner: Store, ctl: { down: boolean }): Store {
  return new Proxy(inner, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof v !== 'function') return v;
      if (key === 'close') return (v as () => Promise<void>).bind(target);
      return (...args: unknown[]) => {
        if (ctl.down) return Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
