// Fault injection from reliability.md §6 that concern the whole account or connection rather than
// one order: T05 (HTTP 403 → all REST stops), T06 (10002 → clock re-sync; writes looked up before
// a re-send), T09 (hedge-mode account), T23 (WebSocket reconnect storm → growing back-off + alert),
// T25 (private stream auth refused → start fails instead of trading blind).
import { afterEach, describe, expect, it } from 'vitest';
import { OrderExecutor } from '../../src/exchange/order-executor.js';
import { adapterFor, collector, fakeAndAdapter, until } from './helpers.js';
import { MemoryJournal } from './memory-journal.js';
import { startFakeBybit } from '../fakes/bybit/server.js';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of cleanups.reverse()) await c(); cleanups = []; });

async function setup(opts: Parameters<typeof fakeAndAdapter>[0] = {}) {
  const r = await fakeAndAdapter(opts);
  cleanups.push(r.close);
  return r;
}

const entry = { symbol: 'BTCUSDT', side: 'Buy' as const, type: 'market' as const, qty: 0.01, takeProfit: 62_000, stopLoss: 59_000, purpose: 'entry' as const };

describe('account-wide REST faults', () => {
  it('T05 an HTTP 403 pauses every REST request (nothing is sent) for the configured time, while the WebSocket carries on', async () => {
    const { fake, ex } = await setup({ ipBanPauseMs: 600 });
    const c = collector();
    await ex.subscribe(['BTCUSDT'], '1m', c.onEvent);
    fake.faults.rest('/v5/market/tickers', { kind: 'status', status: 403 });
    await expect(ex.tickers(['BTCUSDT'])).rejects.toMatchObject({ retCode: -1403, outcome: 'rejected' });
    expect(ex.restPausedUntil).toBeGreaterThan(Date.now());
    const sent = fake.requests.length;
    // Other endpoints too (the limit is per IP): refused locally with a clear reason, no order goes out.
    await expect(ex.positions()).rejects.toThrow(/REST paused until .* HTTP 403/);
    await expect(ex.placeOrder({ orderLinkId: 'ban-1', ...entry })).rejects.toThrow(/REST paused/);
    expect(fake.requests.length).toBe(sent);
    // Market data on the socket keeps flowing during the pause.
    const ts = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
    fake.pushKline('BTCUSDT', '1', { ts, open: 1, high: 2, low: 1, close: 2, volume: 3 }, true);
    await until(() => c.of('candle').length === 1, 'candle during the REST pause');
    // After the pause REST works again.
    await until(() => ex.restPausedUntil === 0, 'pause over');
    expect((await ex.tickers(['BTCUSDT']))[0].lastPrice).toBe(60_000);
    expect(fake.state.orders).toHaveLength(0);
  });

  it('T06 10002 on a read re-syncs the clock (/v5/market/time) and retries; on a write the order is looked up before one re-send with the same id', async () => {
    const { fake, ex } = await setup();
    const msg = 'invalid request, please check your server timestamp or recv_window param';
    fake.faults.rest('/v5/position/list', { kind: 'retCode', retCode: 10002, retMsg: msg });
    expect(await ex.positions()).toEqual([]);
    const lists = fake.requests.filter((r) => r.path === '/v5/position/list');
    expect(lists.map((r) => r.answered)).toEqual(['retCode 10002', 'retCode 0']);
    const time = fake.requests.findIndex((r) => r.path === '/v5/market/time');
    expect(time).toBeGreaterThan(fake.requests.indexOf(lists[0]));
    expect(time).toBeLessThan(fake.requests.indexOf(lists[1]));

    const exec = new OrderExecutor({ exchange: ex, journal: new MemoryJournal(), lookupAttempts: 2, lookupBackoffMs: 5 });
    fake.faults.rest('/v5/order/create', { kind: 'retCode', retCode: 10002, retMsg: msg });
    const { record, state } = await exec.place(entry);
    const creates = fake.requests.filter((r) => r.path === '/v5/order/create');
    expect(creates.map((r) => r.answered)).toEqual(['retCode 10002', 'retCode 0']);
    expect(creates.map((r) => r.body.orderLinkId)).toEqual([record.order_link_id, record.order_link_id]);
    const between = fake.requests.slice(fake.requests.indexOf(creates[0]), fake.requests.indexOf(creates[1])).map((r) => r.path);
    expect(between).toContain('/v5/market/time');
    expect(between).toContain('/v5/order/realtime'); // looked up before the re-send
    expect(fake.state.orders).toHaveLength(1);
    expect(state).toMatchObject({ status: 'filled', filledQty: 0.01 });
  });

  it('T09 hedge mode: an empty symbol is switched to one-way before trading; one holding a position is refused and nothing is sent', async () => {
    const { fake, ex } = await setup();
    fake.state.hedgeMode.add('BTCUSDT');
    // What trading with a mismatched positionIdx would meet:
    await expect(ex.placeOrder({ orderLinkId: 'hedge-1', ...entry })).rejects.toMatchObject({ retCode: 10001, retMsg: 'position idx not match position mode' });
    await ex.prepareAccount(['BTCUSDT']);
    expect(fake.state.hedgeMode.has('BTCUSDT')).toBe(false);
    expect(fake.requests.filter((r) => r.path === '/v5/position/switch-mode').map((r) => r.body)).toEqual([{ category: 'linear', symbol: 'BTCUSDT', mode: 0 }]);
    expect((await ex.placeOrder({ orderLinkId: 'oneway-1', ...entry })).status).toBe('filled');
    await ex.prepareAccount(['BTCUSDT']); // one-way already: nothing to do
    expect(fake.requests.filter((r) => r.path === '/v5/position/switch-mode')).toHaveLength(1);

    fake.state.hedgeMode.add('ETHUSDT');
    fake.state.positions.set('ETHUSDT', { symbol: 'ETHUSDT', side: 'Sell', size: 1, avgPrice: 3_000, leverage: 10, takeProfit: 0, stopLoss: 3_100, seq: 1 });
    const sent = fake.requests.length;
    await expect(ex.prepareAccount(['ETHUSDT'])).rejects.toThrow(/hedge mode for ETHUSDT.*one-way mode only.*Not trading/);
    expect(fake.requests.slice(sent).map((r) => r.path)).toEqual(['/v5/position/list']);
    expect(fake.state.hedgeMode.has('ETHUSDT')).toBe(true);
  });
});

describe('connection faults', () => {
  it('T23 reconnect storm: every reconnect waits twice as long as the one before, and a storm alert is raised', async () => {
    const base = 40;
    const { fake, ex } = await setup({ reconnectDelayMs: base, stableMs: 60_000, maxReconnectDelayMs: 60_000 });
    const c = collector();
    await ex.subscribe(['BTCUSDT'], '1m', c.onEvent);
    fake.faults.stormWs('public', true);
    fake.faults.dropWs('public');
    const attempts = () => fake.wsConnections.filter((x) => x.kind === 'public').slice(1); // after the healthy first one
    await until(() => attempts().length >= 4, 'four reconnect attempts');
    await until(() => c.of('connection').some((e) => /reconnect storm/.test(e.reason ?? '')), 'storm alert');
    const at = attempts().map((x) => x.at);
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    // Attempt n+1 comes at least base × 2^(n+1) after attempt n (timers never fire early; load only adds).
    gaps.slice(0, 3).forEach((g, i) => expect(g, `gap ${i}`).toBeGreaterThanOrEqual(base * 2 ** (i + 1) - 5));
    fake.faults.stormWs('public', false);
    // Once the storm passes the stream comes back.
    await until(() => c.of('connection').some((e) => e.connected && /public stream resynchronised/.test(e.reason ?? '')), 'reconnected after the storm');
  });

  it('T25 the private stream refuses authentication: subscribing fails with the reason instead of streaming without private state', async () => {
    const fake = await startFakeBybit();
    const ex = adapterFor(fake, { secret: 'not-the-secret', subscribeTimeoutMs: 5_000 });
    cleanups.push(async () => { await ex.close(); await fake.close(); });
    await expect(ex.subscribe(['BTCUSDT'], '1m', () => undefined)).rejects.toThrow(/private stream auth refused: Invalid sign/);
  });
});
