// Fault injection from reliability.md §6 (T01-T04, T07, T12-T13, T16, T17, T33-T34): the real adapter and the
// OrderExecutor against the fake Bybit. Invariants: no duplicate order, no lost fill, a stop on
// every open position.
import { afterEach, describe, expect, it } from 'vitest';
import { OrderExecutor, JournalUnavailableError } from '../../src/exchange/order-executor.js';
import type { BybitExchange } from '../../src/exchange/bybit/exchange.js';
import type { FakeBybit } from '../fakes/bybit/server.js';
import { collector, fakeAndAdapter, until } from './helpers.js';
import { MemoryJournal } from './memory-journal.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => { await cleanup?.(); cleanup = undefined; });

async function setup(opts: Parameters<typeof fakeAndAdapter>[0] = {}) {
  const { fake, ex, close } = await fakeAndAdapter(opts);
  cleanup = close;
  const journal = new MemoryJournal();
  const exec = new OrderExecutor({ exchange: ex, journal, lookupAttempts: 3, lookupBackoffMs: 10, pollMs: 20 });
  return { fake, ex, journal, exec };
}

const creates = (fake: FakeBybit) => fake.requests.filter((r) => r.path === '/v5/order/create');
const entry = { symbol: 'BTCUSDT', side: 'Buy' as const, type: 'market' as const, qty: 0.01, takeProfit: 62_000, stopLoss: 59_000, purpose: 'entry' as const };

async function assertStopsOnEveryPosition(ex: BybitExchange): Promise<void> {
  for (const p of await ex.positions()) expect(p.stopLoss, `${p.symbol} has no stop`).not.toBeNull();
}

describe('order placement under faults', () => {
  it('T01 accepted but the connection died before the answer: adopted by lookup, never re-sent', async () => {
    const { fake, ex, journal, exec } = await setup();
    fake.faults.rest('/v5/order/create', { kind: 'commit-then-destroy' });
    const { record, state } = await exec.place(entry);
    expect(state.status).toBe('filled');
    expect(creates(fake)).toHaveLength(1);
    expect(fake.state.orders.filter((o) => o.orderLinkId === record.order_link_id)).toHaveLength(1);
    expect(journal.rows.get(record.order_link_id)).toMatchObject({ status: 'filled', exchange_order_id: state.orderId, filled_qty: 0.01 });
    await assertStopsOnEveryPosition(ex);
  });

  it('T01b accepted then the answer never came (client timeout): same single order', async () => {
    const { fake, exec } = await setup({ requestTimeoutMs: 200 });
    fake.faults.rest('/v5/order/create', { kind: 'commit-then-hang' });
    const { record } = await exec.place(entry);
    expect(creates(fake)).toHaveLength(1);
    expect(fake.state.orders.filter((o) => o.orderLinkId === record.order_link_id)).toHaveLength(1);
    expect(fake.state.positions.get('BTCUSDT')?.size).toBe(0.01);
  });

  it('T02 HTTP 502 without commit: absence confirmed by lookup, re-sent once with the SAME orderLinkId', async () => {
    const { fake, exec } = await setup();
    fake.faults.rest('/v5/order/create', { kind: 'status', status: 502 });
    const { record, state } = await exec.place(entry);
    expect(state.status).toBe('filled');
    const sent = creates(fake);
    expect(sent).toHaveLength(2);
    expect(sent.map((r) => r.body.orderLinkId)).toEqual([record.order_link_id, record.order_link_id]);
    // the re-send happened only after the lookups said "not there"
    const lookups = fake.requests.filter((r) => r.path === '/v5/order/realtime' && r.at >= sent[0].at && r.at <= sent[1].at);
    expect(lookups.length).toBeGreaterThanOrEqual(3);
    expect(fake.state.orders).toHaveLength(1);
  });

  it('T03 accepted, invisible at first, the re-send gets 110072: linked to the existing order', async () => {
    const { fake, exec } = await setup();
    fake.faults.rest('/v5/order/create', { kind: 'commit-then-status', status: 504 });
    fake.faults.hideLookups(6); // three realtime + three history lookups see nothing
    const { record, state } = await exec.place(entry);
    const sent = creates(fake);
    expect(sent.map((r) => r.answered)).toEqual(['HTTP 504', 'retCode 110072']);
    expect(fake.state.orders).toHaveLength(1);
    expect(state.orderId).toBe(fake.state.orders[0].orderId);
    expect(record.status).toBe('filled');
  });

  it('T04 10006 with a reset header: waits until the reset, then succeeds; without the header it backs off', async () => {
    const { fake, exec } = await setup();
    fake.faults.rest('/v5/order/create', { kind: 'retCode', retCode: 10006, resetInMs: 300 });
    await exec.place(entry);
    let sent = creates(fake);
    expect(sent.map((r) => r.answered)).toEqual(['retCode 10006', 'retCode 0']);
    expect(sent[1].at - sent[0].at).toBeGreaterThanOrEqual(290);
    fake.faults.rest('/v5/order/create', { kind: 'retCode', retCode: 10006 }, 2); // no reset header (pybit#340)
    await exec.place({ ...entry, side: 'Sell', type: 'market', takeProfit: undefined, stopLoss: undefined, reduceOnly: true, purpose: 'exit' });
    sent = creates(fake);
    expect(sent.slice(2).map((r) => r.answered)).toEqual(['retCode 10006', 'retCode 10006', 'retCode 0']);
    expect(fake.state.positions.get('BTCUSDT')?.size).toBe(0);
  });

  it('T07 a definitive rejection (110007) is not retried and the intent is marked rejected', async () => {
    const { fake, journal, exec } = await setup();
    await expect(exec.place({ ...entry, type: 'limit', price: 60_000, qty: 0.01, side: 'Buy', stopLoss: 59_000.05 })).resolves.toBeDefined();
    fake.faults.rest('/v5/order/create', { kind: 'retCode', retCode: 110007, retMsg: 'ab not enough for new order' });
    await expect(exec.place(entry)).rejects.toMatchObject({ retCode: 110007, outcome: 'rejected' });
    expect(creates(fake)).toHaveLength(2);
    expect([...journal.rows.values()].map((r) => r.status).sort()).toEqual(['filled', 'rejected']);
  });

  it('T12/T13 a market order filled in three executions: three fills, each once, even when delivered twice', async () => {
    const { fake, ex, exec } = await setup();
    const c = collector();
    await ex.subscribe(['BTCUSDT'], '1m', (e) => { c.onEvent(e); exec.onEvent(e); });
    fake.state.partialFills = { fraction: 1, parts: 3 };
    const { record } = await exec.place({ ...entry, qty: 0.03 });
    await until(() => exec.fills(record.order_link_id).length === 3, 'three fills');
    // the same executions again, as a REST backfill would deliver them
    for (const f of await ex.executions(0)) exec.onEvent({ type: 'fill', fill: f });
    const fills = exec.fills(record.order_link_id);
    expect(new Set(fills.map((f) => f.execId)).size).toBe(3);
    expect(fills.reduce((s, f) => s + f.qty, 0)).toBeCloseTo(0.03, 12);
    expect(fake.state.positions.get('BTCUSDT')?.size).toBeCloseTo(0.03, 12);
    await assertStopsOnEveryPosition(ex);
  });

  it('T12 the private subscription is acknowledged before subscribe resolves (slow auth): no execution pushed right after is lost', async () => {
    const { fake, ex, exec } = await setup();
    fake.faults.delayWsAuth(300);
    await ex.subscribe(['BTCUSDT'], '1m', (e) => exec.onEvent(e));
    fake.state.partialFills = { fraction: 1, parts: 3 };
    const { record } = await exec.place({ ...entry, qty: 0.03 });
    // Only the stream can deliver them here: nothing re-reads executions after the subscription.
    await until(() => exec.fills(record.order_link_id).length === 3, 'three fills on the stream');
    expect(exec.fills(record.order_link_id).reduce((s, f) => s + f.qty, 0)).toBeCloseTo(0.03, 12);
  });

  it('T16 a market order cut short by the slippage band keeps its partial fill and is not re-sent', async () => {
    const { fake, ex, exec } = await setup();
    fake.state.partialFills = { fraction: 0.5, parts: 1 };
    const { state } = await exec.place({ ...entry, qty: 0.02 });
    expect(state).toMatchObject({ status: 'cancelled', filledQty: 0.01 });
    expect(creates(fake)).toHaveLength(1);
    expect((await ex.positions())[0]).toMatchObject({ size: 0.01, stopLoss: 59_000 });
  });
});

describe('store outage during placement', () => {
  it('T33 the store cannot take the intent: nothing is sent', async () => {
    const { fake, journal, exec } = await setup();
    journal.down = true;
    await expect(exec.place(entry)).rejects.toBeInstanceOf(JournalUnavailableError);
    expect(creates(fake)).toHaveLength(0);
  });

  it('T34 the store fails after sending: the order stands, its update is kept and flushed on recovery', async () => {
    const { fake, journal, exec } = await setup();
    const realUpdate = journal.update.bind(journal);
    let failUpdates = true;
    journal.update = async (r) => { if (failUpdates) throw new Error('store down'); return realUpdate(r); };
    const { record } = await exec.place(entry);
    expect(fake.state.orders).toHaveLength(1);
    expect(journal.rows.get(record.order_link_id)?.status).toBe('intent');
    expect(exec.pendingJournalWrites).toBe(1);
    failUpdates = false;
    expect(await exec.flushJournal()).toBe(1);
    expect(journal.rows.get(record.order_link_id)).toMatchObject({ status: 'filled', filled_qty: 0.01 });
  });
});
