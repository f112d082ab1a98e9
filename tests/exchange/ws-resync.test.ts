// WebSocket drops and silent stalls (T19-T22) and a restart mid-trade (T26-T28, "state after
// restart equals state before"): what happened while a socket was down arrives by REST resync.
import { afterEach, describe, expect, it } from 'vitest';
import { OrderExecutor } from '../../src/exchange/order-executor.js';
import { adapterFor, closedMinutes, collector, fakeAndAdapter, until } from './helpers.js';
import { MemoryJournal } from './memory-journal.js';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of cleanups.reverse()) await c(); cleanups = []; });

describe('websocket faults', () => {
  it('T19/T20 private socket dropped, a fill happens meanwhile: resync delivers it once, connection reported down then up', async () => {
    const { fake, ex, close } = await fakeAndAdapter();
    cleanups.push(close);
    const c = collector();
    await ex.subscribe(['BTCUSDT'], '1m', c.onEvent);
    const pos = await ex.placeOrder({ orderLinkId: 'pre-1', symbol: 'BTCUSDT', side: 'Buy', type: 'market', qty: 0.01, stopLoss: 59_000 });
    expect(pos.status).toBe('filled');
    await until(() => c.of('fill').length === 1, 'first fill');
    fake.faults.dropWs('private');
    fake.state.setPrice('BTCUSDT', 58_900); // stop triggers while nobody listens
    await until(() => c.of('connection').some((e) => !e.connected) && c.of('connection').filter((e) => e.connected).length >= 2, 'reconnect + resync');
    await until(() => c.of('position').some((p) => p.position.size === 0), 'flat position after resync');
    const stopFills = c.of('fill').filter((f) => f.fill.trigger === 'stop_loss');
    expect(stopFills).toHaveLength(1);
    expect(stopFills[0].fill).toMatchObject({ qty: 0.01, price: 58_900, side: 'Sell' });
    expect(new Set(c.of('fill').map((f) => f.fill.execId)).size).toBe(c.of('fill').length);
  });

  it('funding settled while the private socket is down arrives by the resync as funding, never as a fill', async () => {
    const { fake, ex, close } = await fakeAndAdapter();
    cleanups.push(close);
    const c = collector();
    await ex.subscribe(['BTCUSDT'], '1m', c.onEvent);
    await ex.placeOrder({ orderLinkId: 'pre-2', symbol: 'BTCUSDT', side: 'Sell', type: 'market', qty: 0.01, stopLoss: 61_000 });
    await until(() => c.of('fill').length === 1, 'entry fill');
    fake.faults.dropWs('private');
    const settled = fake.state.settleFunding('BTCUSDT', 0.0001, 60_000)!; // a short receives a positive rate
    await until(() => c.of('funding').length >= 1, 'funding after the resync');
    expect(c.of('funding')[0]).toMatchObject({ symbol: 'BTCUSDT', amount: settled.execFee, execId: settled.execId });
    expect(settled.execFee).toBeLessThan(0);
    expect(c.of('fill').map((f) => f.fill.execId)).not.toContain(settled.execId);
  });

  it('T21/T22 silent public stall (no pongs, no data): the watchdog reconnects and missed candles are backfilled', async () => {
    const { fake, ex, close } = await fakeAndAdapter({ stallMs: 300, pingIntervalMs: 60_000, pongTimeoutMs: 30_000 });
    cleanups.push(close);
    const c = collector();
    const [t0, t1, t2] = closedMinutes(3);
    await ex.subscribe(['BTCUSDT'], '1m', c.onEvent);
    fake.pushKline('BTCUSDT', '1', { ts: t0, open: 1, high: 1, low: 1, close: 1, volume: 1 }, true);
    await until(() => c.of('candle').length === 1, 'first candle');
    fake.faults.stallWs('public');
    fake.pushKline('BTCUSDT', '1', { ts: t1, open: 2, high: 2, low: 2, close: 2, volume: 2 }, true); // lost on the stalled socket
    await until(() => c.of('candle').length === 2, 'missed candle backfilled after the forced reconnect');
    expect(c.of('candle').map((e) => e.candle.ts)).toEqual([t0, t1]);
    fake.pushKline('BTCUSDT', '1', { ts: t2, open: 3, high: 3, low: 3, close: 3, volume: 3 }, true);
    await until(() => c.of('candle').length === 3, 'live candle on the new socket');
    fake.pushKline('BTCUSDT', '1', { ts: t2, open: 3, high: 3, low: 3, close: 3, volume: 3 }, true); // duplicate push
    await new Promise((r) => setTimeout(r, 50));
    expect(c.of('candle').map((e) => e.candle.ts)).toEqual([t0, t1, t2]);
  });
});

describe('restart in the middle of a trade', () => {
  it('T27/T28 a new adapter and executor on the same exchange see the same position, stop and order', async () => {
    const { fake, ex, close } = await fakeAndAdapter();
    cleanups.push(close);
    const journal = new MemoryJournal();
    const exec = new OrderExecutor({ exchange: ex, journal, lookupAttempts: 2, lookupBackoffMs: 5 });
    const entry = await exec.place({ symbol: 'ETHUSDT', side: 'Sell', type: 'market', qty: 0.5, takeProfit: 2_900, stopLoss: 3_090, purpose: 'entry' });
    const resting = await exec.place({ symbol: 'BTCUSDT', side: 'Buy', type: 'limit', qty: 0.002, price: 55_000, purpose: 'entry' });
    const before = { positions: await ex.positions(), open: await ex.openOrders() };
    expect(before.positions).toHaveLength(1);
    expect(before.open).toHaveLength(1);

    fake.faults.restart();
    await ex.close();
    const ex2 = adapterFor(fake);
    cleanups.push(() => ex2.close());
    const after = { positions: await ex2.positions(), open: await ex2.openOrders() };
    expect(after).toEqual(before);
    expect(after.positions[0]).toMatchObject({ symbol: 'ETHUSDT', direction: 'short', size: 0.5, stopLoss: 3_090 });
    // the journal's ids find the same orders on the exchange
    expect((await ex2.getOrder('ETHUSDT', entry.record.order_link_id))?.orderId).toBe(entry.state.orderId);
    expect((await ex2.getOrder('BTCUSDT', resting.record.order_link_id))?.status).toBe('new');
    // a new executor moves the stop of the adopted position and it lands on the exchange
    await ex2.setTradingStop('ETHUSDT', 3_050);
    expect((await ex2.positions('ETHUSDT'))[0].stopLoss).toBe(3_050);
    expect(fake.state.orders).toHaveLength(2);
  });
});
