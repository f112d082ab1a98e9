// Fault injection from reliability.md §6 on an order's life after it was sent (T14, T15, T18): the
// real bybit-api adapter and the OrderExecutor against the fake Bybit, with the private stream fed
// to the executor the way the runtime does. Invariants: the order's final state is the exchange's,
// each execution counts once, no second order for one intent, a stop on every open position.
import type { Logger } from 'pino';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { BybitExchange } from '../../src/exchange/bybit/exchange.js';
import { OrderExecutor } from '../../src/exchange/order-executor.js';
import type { OrderRecord } from '../../src/storage/store.js';
import type { FakeBybit } from '../fakes/bybit/server.js';
import { collector, fakeAndAdapter, until } from './helpers.js';
import { MemoryJournal } from './memory-journal.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => { await cleanup?.(); cleanup = undefined; });

interface LogLine { level: number; msg: string }

/** Fake + real adapter + executor sharing one captured logger; `stream` wires the private stream in. */
async function setup(o: { stream?: boolean; lookupAttempts?: number; maxSends?: number } = {}) {
  const logs: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => { logs.push(JSON.parse(line) as LogLine); } });
  const { fake, ex, close } = await fakeAndAdapter({ logger });
  cleanup = close;
  const journal = new MemoryJournal();
  const exec = new OrderExecutor({ exchange: ex, journal, logger, lookupAttempts: o.lookupAttempts ?? 3, lookupBackoffMs: 10, maxSends: o.maxSends ?? 2, pollMs: 20 });
  const events = collector();
  const connect = () => ex.subscribe(['BTCUSDT'], '1m', (e) => { events.onEvent(e); exec.onEvent(e); });
  if (o.stream !== false) await connect();
  return { fake, ex, exec, journal, events, logs, connect };
}

const creates = (fake: FakeBybit) => fake.requests.filter((r) => r.path === '/v5/order/create');
const lookups = (fake: FakeBybit, path: 'realtime' | 'history', link: string) => fake.requests.filter((r) => r.path === `/v5/order/${path}` && r.query.includes(link));
const warnings = (logs: LogLine[]) => logs.filter((l) => l.level >= 40).map((l) => l.msg);
/** An executor whose clock only moves when it sleeps; `onSleep` scripts what happens meanwhile. */
function clockedExecutor(ex: BybitExchange, onSleep: () => void, logger?: Logger): OrderExecutor {
  let t = 1_700_000_000_000;
  return new OrderExecutor({ exchange: ex, journal: new MemoryJournal(), logger, lookupAttempts: 2, lookupBackoffMs: 1, pollMs: 10_000, now: () => t, sleep: async (ms) => { t += ms; onSleep(); } });
}

// SPEC hybrid entry: long at 60 000, limit 0.1 % better (59 940), chase while price moved < 25 % of 1 200.
const hybrid = {
  symbol: 'BTCUSDT', direction: 'long' as const, qty: 0.01, signalPrice: 60_000, takeProfit: 61_200, stopLoss: 59_400, targetDistance: 1_200,
  limitOffset: 0.001, limitTimeoutSeconds: 120, chaseMaxTargetFraction: 0.25,
};
// A long entry resting below the market (60 000), its stop and target on the position (tpslMode Full).
const limitEntry = { symbol: 'BTCUSDT', side: 'Buy' as const, type: 'limit' as const, qty: 0.01, price: 59_900, takeProfit: 61_200, stopLoss: 59_400, purpose: 'entry' as const };

describe('T14 partial fill, then cancelled', () => {
  it('T14 a limit entry partly filled then cancelled: the executor keeps the partial qty, counts each fill once, and the stop covers exactly that qty', async () => {
    const { fake, ex, exec, journal, events } = await setup();
    const { record } = await exec.place(limitEntry);
    const link = record.order_link_id;
    const order = fake.state.findOrder(link)!;
    fake.state.fill(order, 0.002, order.price, true);
    fake.state.fill(order, 0.001, order.price, true);
    await until(() => exec.fills(link).length === 2, 'both partial fills on the stream');

    const final = await exec.cancel('BTCUSDT', link);
    expect(order.orderStatus).toBe('Cancelled');
    expect(final).toMatchObject({ status: 'cancelled', filledQty: 0.003 });
    await until(() => events.of('order').some((e) => e.order.orderLinkId === link && e.order.status === 'cancelled'), 'the Cancelled message on the stream');
    // The same executions again, as a REST backfill after a reconnect delivers them: not counted.
    const backfill = (await ex.executions(0)).filter((f) => f.orderLinkId === link);
    expect(backfill).toHaveLength(2);
    expect(backfill.map((f) => exec.acceptFill(f))).toEqual([false, false]);

    expect(exec.fills(link).reduce((s, f) => s + f.qty, 0)).toBeCloseTo(0.003, 12);
    expect(exec.record(link)).toMatchObject({ status: 'cancelled', filled_qty: 0.003 });
    expect(exec.record(link)?.avg_price).toBeCloseTo(59_900, 6);
    expect(journal.rows.get(link)).toMatchObject({ status: 'cancelled', filled_qty: 0.003 });
    expect(await ex.positions()).toMatchObject([{ symbol: 'BTCUSDT', size: 0.003, stopLoss: 59_400, takeProfit: 61_200 }]);
    // The stop covers exactly the filled qty: when it triggers the position closes, no more, no less.
    fake.state.setPrice('BTCUSDT', 59_350);
    const stopFills = fake.state.executions.filter((e) => e.stopOrderType === 'StopLoss');
    expect(stopFills.map((e) => [e.execQty, e.closedSize])).toEqual([[0.003, 0.003]]);
    expect(await ex.positions()).toEqual([]);
  });
});

describe('T15 a cancel races a fill', () => {
  it('T15 the fill wins and Bybit sends Filled twice (the second with CancelByUser / EC_OrigClOrdIDDoesNotExist): final filled once, one fill, nothing logged as a failure', async () => {
    const { fake, ex, exec, journal, events, logs } = await setup();
    const { record } = await exec.place(limitEntry);
    const link = record.order_link_id;
    fake.faults.fillBeforeCancel();
    const final = await exec.cancel('BTCUSDT', link);
    expect(final).toMatchObject({ status: 'filled', filledQty: 0.01 });
    const filledMessages = () => events.of('order').filter((e) => e.order.orderLinkId === link && e.order.status === 'filled');
    await until(() => filledMessages().length === 2 && exec.fills(link).length === 1, 'both Filled messages and the execution on the stream');

    expect(fake.requests.filter((r) => r.path === '/v5/order/cancel').map((r) => r.answered)).toEqual(['retCode 110001']);
    expect(fake.state.executions.filter((e) => e.orderLinkId === link)).toHaveLength(1);
    expect(exec.fills(link)).toHaveLength(1);
    expect(exec.record(link)).toMatchObject({ status: 'filled', filled_qty: 0.01 });
    expect(journal.statuses(link)).toEqual(['intent', 'new', 'filled']);
    expect(await ex.positions()).toMatchObject([{ size: 0.01, stopLoss: 59_400 }]);
    expect(creates(fake)).toHaveLength(1);
    expect(warnings(logs)).toEqual([]);
  });

  it('T15 in the hybrid entry: the limit filled while being cancelled at the timeout, so nothing is chased', async () => {
    const { fake, ex, logs } = await setup({ stream: false });
    fake.faults.fillBeforeCancel();
    // Price stays at 60 000: the limit (59 940) rests until the timeout, then the cancel races the fill.
    const exec = clockedExecutor(ex, () => undefined, pino({ level: 'info' }, { write: (line: string) => { logs.push(JSON.parse(line) as LogLine); } }));
    const r = await exec.enterHybrid(hybrid);
    expect(r).toMatchObject({ outcome: 'filled', filledQty: 0.01, entryOrderType: 'limit', avgPrice: 59_940 });
    expect(creates(fake)).toHaveLength(1);
    expect(await ex.positions()).toMatchObject([{ size: 0.01, stopLoss: 59_400 }]);
    expect(warnings(logs)).toEqual([]);
  });
});

describe('T18 accepted but not visible for a while', () => {
  it('T18 the answer was lost and the first K-1 lookups see nothing: kept pending, adopted by the K-th lookup, sent once', async () => {
    const { fake, exec, journal } = await setup({ stream: false, lookupAttempts: 3 });
    fake.faults.rest('/v5/order/create', { kind: 'commit-then-status', status: 504 });
    fake.faults.hideLookups(4); // lookups 1 and 2: realtime and history both empty
    const { record, state } = await exec.place({ ...limitEntry, type: 'market', price: undefined });
    const link = record.order_link_id;
    expect(lookups(fake, 'realtime', link)).toHaveLength(3);
    expect(lookups(fake, 'history', link)).toHaveLength(2); // the third realtime lookup found it
    expect(creates(fake)).toHaveLength(1);
    expect(fake.state.orders).toHaveLength(1);
    expect(state).toMatchObject({ status: 'filled', orderId: fake.state.orders[0].orderId });
    // Never passed through a failed or "unknown" state on the way.
    expect(journal.statuses(link)).toEqual(['intent', 'filled']);
  });

  it('T18 acknowledged but invisible to every lookup: stays new, no second order, adopted once it shows up', async () => {
    const { fake, exec, journal } = await setup({ stream: false, lookupAttempts: 2 });
    fake.faults.hideLookups(1_000);
    const { record, state } = await exec.place(limitEntry);
    const link = record.order_link_id;
    expect(state).toMatchObject({ status: 'new', orderId: fake.state.orders[0].orderId });
    // Cancelling reads the order back; invisible, so the executor learns nothing and decides nothing.
    fake.state.setPrice('BTCUSDT', 59_800); // meanwhile the limit fills
    expect(await exec.cancel('BTCUSDT', link)).toBeNull();
    expect(exec.record(link)).toMatchObject({ status: 'new' });
    fake.faults.hideLookups(0);
    expect(await exec.cancel('BTCUSDT', link)).toMatchObject({ status: 'filled', filledQty: 0.01 });
    expect(journal.statuses(link)).toEqual(['intent', 'new', 'filled']);
    expect(creates(fake)).toHaveLength(1);
  });

  it('T18 in the hybrid entry: the limit filled while invisible, so its final state is unknown and no market chase is sent for it', async () => {
    const { fake, ex } = await setup({ stream: false });
    fake.faults.hideLookups(1_000);
    // While the executor waits for the limit, price comes down through it: it fills, unseen.
    const exec = clockedExecutor(ex, () => fake.state.setPrice('BTCUSDT', 59_930));
    const r = await exec.enterHybrid(hybrid);
    expect(fake.state.orders[0]).toMatchObject({ orderType: 'Limit', orderStatus: 'Filled', cumExecQty: 0.01 });
    expect(creates(fake)).toHaveLength(1);
    expect(r).toMatchObject({ outcome: 'unknown', filledQty: 0, entryOrderType: 'limit' });
    expect(await ex.positions()).toMatchObject([{ size: 0.01, stopLoss: 59_400 }]);
  });

  it('T18 never visible: the outcome is unknown (needs reconciliation), not failed; the later fill is still taken by its orderLinkId', async () => {
    const { fake, exec, journal, events, connect } = await setup({ stream: false, lookupAttempts: 2, maxSends: 2 });
    fake.faults.rest('/v5/order/create', { kind: 'commit-then-status', status: 504 });
    fake.faults.hideLookups(1_000);
    const sent = exec.place(limitEntry);
    await expect(sent).rejects.toMatchObject({ outcome: 'unknown' });
    const link = creates(fake)[0].body.orderLinkId as string;
    // Re-sent at most once and only with the same id (answered 110072): never a new orderLinkId.
    expect(creates(fake).map((r) => [r.body.orderLinkId, r.answered])).toEqual([[link, 'HTTP 504'], [link, 'retCode 110072']]);
    expect(fake.state.orders).toHaveLength(1);
    expect(exec.record(link)).toMatchObject({ status: 'unknown' });
    expect(journal.statuses(link)).toEqual(['intent', 'unknown']);

    // The private stream comes up, the resting order fills: taken by its orderLinkId, counted once.
    await connect();
    fake.state.setPrice('BTCUSDT', 59_800);
    await until(() => exec.fills(link).length === 1 && exec.record(link)?.status === 'filled', 'the fill and the Filled message on the stream');
    expect(events.of('fill').filter((e) => e.fill.orderLinkId === link)).toHaveLength(1);
    expect(exec.record(link)).toMatchObject({ status: 'filled', filled_qty: 0.01 });
    expect(journal.statuses(link)).toEqual(['intent', 'unknown', 'new', 'filled']);
  });

  it('T18 invisible to REST but shown by the private stream: adopted from the stream, not re-sent, never marked unknown', async () => {
    const logs: LogLine[] = [];
    const { fake, ex, close } = await fakeAndAdapter();
    cleanup = close;
    const journal = new MemoryJournal();
    const events = collector();
    let exec!: OrderExecutor;
    await ex.subscribe(['BTCUSDT'], '1m', (e) => { events.onEvent(e); exec.onEvent(e); });
    const streamed = () => events.of('order').some((e) => e.order.status === 'filled');
    // The executor's back-off between lookups ends only once the stream has shown the order.
    exec = new OrderExecutor({
      exchange: ex, journal, lookupAttempts: 2, maxSends: 2, logger: pino({ level: 'info' }, { write: (l: string) => { logs.push(JSON.parse(l) as LogLine); } }),
      sleep: () => until(streamed, 'the order on the private stream'),
    });
    fake.faults.rest('/v5/order/create', { kind: 'commit-then-status', status: 504 });
    fake.faults.hideLookups(1_000);
    const { record, state } = await exec.place({ ...limitEntry, type: 'market', price: undefined });
    expect(creates(fake)).toHaveLength(1);
    expect(state).toMatchObject({ status: 'filled', filledQty: 0.01, orderId: fake.state.orders[0].orderId });
    expect(journal.statuses(record.order_link_id)).toEqual(['intent', 'new', 'filled']); // New then Filled, as the stream sent them
    expect(logs.map((l) => l.msg)).toContain('order not visible by lookup yet but seen on the stream; adopted');
  });

  it('T18 after a restart: a sent order still invisible stays unknown (not marked never-sent); an intent invisible for K-1 lookups is adopted', async () => {
    const { fake, ex } = await setup({ stream: false });
    // The previous process sent both; they rest on the exchange.
    const resting = (link: string, price: number) => fake.state.submit(fake.state.newOrder({ symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: 0.01, price, reduceOnly: false, orderLinkId: link }));
    resting('smc-e-sent-unknown', 59_900);
    resting('smc-e-intent-late', 59_800);
    const row = (link: string, status: OrderRecord['status'], price: number): OrderRecord => ({
      id: link, order_link_id: link, trade_id: null, symbol: 'BTCUSDT', side: 'Buy', order_type: 'limit', purpose: 'entry', qty: 0.01, price,
      reduce_only: false, status, exchange_order_id: null, filled_qty: 0, avg_price: null, created_at: new Date(), updated_at: new Date(),
    });
    const journal = new MemoryJournal();
    const exec = new OrderExecutor({ exchange: ex, journal, lookupAttempts: 3, lookupBackoffMs: 1 });

    fake.faults.hideLookups(4); // the first two of three lookups see nothing
    const late = await exec.recoverOrders([row('smc-e-intent-late', 'intent', 59_800)]);
    expect(late.adopted.map((r) => r.order_link_id)).toEqual(['smc-e-intent-late']);
    expect(late.neverSent).toEqual([]);
    expect(exec.record('smc-e-intent-late')).toMatchObject({ status: 'new', exchange_order_id: fake.state.orders[1].orderId });

    fake.faults.hideLookups(1_000);
    const lost = await exec.recoverOrders([row('smc-e-sent-unknown', 'unknown', 59_900)]);
    expect(lost).toMatchObject({ adopted: [], neverSent: [], vanished: [] });
    expect(lost.unresolved.map((r) => r.order_link_id)).toEqual(['smc-e-sent-unknown']);
    expect(exec.record('smc-e-sent-unknown')?.status).toBe('unknown');
    expect(journal.statuses('smc-e-sent-unknown')).not.toContain('rejected');

    // It fills later: the execution is taken by its orderLinkId and the order ends filled.
    fake.state.setPrice('BTCUSDT', 59_850);
    const fill = (await ex.executions(0)).find((f) => f.orderLinkId === 'smc-e-sent-unknown')!;
    expect(exec.acceptFill(fill)).toBe(true);
    fake.faults.hideLookups(0);
    await exec.applyOrderUpdate((await ex.getOrder('BTCUSDT', 'smc-e-sent-unknown'))!);
    expect(exec.record('smc-e-sent-unknown')).toMatchObject({ status: 'filled', filled_qty: 0.01 });
    expect(exec.fills('smc-e-sent-unknown')).toHaveLength(1);
    expect(fake.state.orders).toHaveLength(2);
  });
});
