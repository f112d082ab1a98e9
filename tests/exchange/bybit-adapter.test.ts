import { afterEach, describe, expect, it } from 'vitest';
import { ExchangeError } from '../../src/exchange/errors.js';
import { BybitExchange } from '../../src/exchange/bybit/exchange.js';
import { closedMinutes, collector, fakeAndAdapter, until } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => { await cleanup?.(); cleanup = undefined; });

describe('BybitExchange against the fake Bybit V5 server (real bybit-api client)', () => {
  it('loads instruments across pages and rounds prices and quantities to the grid', async () => {
    const { fake, ex, close } = await fakeAndAdapter();
    cleanup = close;
    for (let i = 0; i < 7; i++) fake.state.addInstrument({ symbol: `X${i}USDT`, tickSize: '0.0001', qtyStep: '1', minOrderQty: '1', maxOrderQty: '1000000', minNotionalValue: '5', maxLeverage: '25', status: 'Trading' }, 1);
    fake.state.addInstrument({ symbol: 'OLDUSDT', tickSize: '0.01', qtyStep: '1', minOrderQty: '1', maxOrderQty: '10', minNotionalValue: '5', maxLeverage: '10', status: 'Settling' }, 1);
    const all = await ex.instruments();
    expect(all.map((i) => i.symbol)).toContain('X6USDT');
    expect(all.map((i) => i.symbol)).not.toContain('OLDUSDT');
    const [btc] = await ex.instruments(['BTCUSDT']);
    expect(btc).toEqual({ symbol: 'BTCUSDT', tickSize: 0.1, qtyStep: 0.001, minQty: 0.001, maxQty: 1190, minNotional: 5, maxLeverage: 100 });
    await expect(ex.instruments(['NOPEUSDT'])).rejects.toThrow(/NOPEUSDT/);
    expect(await ex.formatPrice('BTCUSDT', 65432.17)).toBe('65432.2');
    expect(await ex.formatQty('BTCUSDT', 0.0123456)).toBe('0.012');
  });

  it('pages klines oldest-first without the still-open candle', async () => {
    const { fake, ex, close } = await fakeAndAdapter();
    cleanup = close;
    const times = closedMinutes(2500);
    const openTs = times[times.length - 1] + 60_000; // the running minute
    for (const [i, ts] of [...times, openTs].entries()) fake.state.addCandle('BTCUSDT', '1', { ts, open: 100 + i, high: 101 + i, low: 99 + i, close: 100.5 + i, volume: 1 });
    const candles = await ex.klines('BTCUSDT', '1m', times[0], openTs + 60_000);
    expect(candles.length).toBe(2500);
    expect(candles[0].ts).toBe(times[0]);
    expect(candles.at(-1)!.ts).toBe(times.at(-1));
    expect(candles.every((c, i) => i === 0 || c.ts - candles[i - 1].ts === 60_000)).toBe(true);
    expect(candles[10]).toEqual({ ts: times[10], open: 110, high: 111, low: 109, close: 110.5, volume: 1 });
    expect(fake.requests.filter((r) => r.path === '/v5/market/kline').length).toBeGreaterThanOrEqual(3);
  });

  it('T10 reads tickers, order book, wallet; leverage 110043 counts as success', async () => {
    const { fake, ex, close } = await fakeAndAdapter();
    cleanup = close;
    const [t] = await ex.tickers(['BTCUSDT']);
    expect(t.lastPrice).toBe(60_000);
    const book = await ex.orderbook('BTCUSDT');
    expect(book.bids[0][0]).toBeLessThan(book.asks[0][0]);
    expect(await ex.balance()).toEqual({ equity: 10_000, available: 10_000 });
    await ex.setLeverage('BTCUSDT', 20);
    await ex.setLeverage('BTCUSDT', 20); // second time the fake answers 110043
    expect(fake.requests.filter((r) => r.path === '/v5/position/set-leverage').map((r) => r.answered)).toEqual(['retCode 0', 'retCode 110043']);
    expect(fake.state.leverage.get('BTCUSDT')).toBe(20);
  });

  it('places a market entry with TP/SL on the position, moves the stop, closes reduce-only', async () => {
    const { fake, ex, close } = await fakeAndAdapter();
    cleanup = close;
    const o = await ex.placeOrder({ orderLinkId: 'e-1', symbol: 'BTCUSDT', side: 'Buy', type: 'market', qty: 0.0109, takeProfit: 61_000.04, stopLoss: 59_000.06 });
    expect(o.status).toBe('filled');
    expect(o.filledQty).toBe(0.01);
    const body = fake.requests.find((r) => r.path === '/v5/order/create')!.body;
    expect(body).toMatchObject({ qty: '0.01', positionIdx: 0, tpslMode: 'Full', takeProfit: '61000', stopLoss: '59000.1', orderLinkId: 'e-1' });
    let [pos] = await ex.positions();
    expect(pos).toMatchObject({ symbol: 'BTCUSDT', direction: 'long', size: 0.01, stopLoss: 59_000.1, takeProfit: 61_000 });
    await ex.setTradingStop('BTCUSDT', 59_500);
    await ex.setTradingStop('BTCUSDT', 59_500); // 34040 with the same stop: fine
    [pos] = await ex.positions('BTCUSDT');
    expect(pos.stopLoss).toBe(59_500);
    await expect(ex.placeOrder({ orderLinkId: 'x-1', symbol: 'BTCUSDT', side: 'Sell', type: 'market', qty: 0.01, reduceOnly: true, stopLoss: 1 })).rejects.toThrow(/reduce-only/);
    await ex.placeOrder({ orderLinkId: 'x-1', symbol: 'BTCUSDT', side: 'Sell', type: 'market', qty: 0.01, reduceOnly: true });
    expect(await ex.positions()).toEqual([]);
  });

  it('T08 turns a non-zero retCode into a typed ExchangeError and refuses bad input (id, qty below minimum) before sending', async () => {
    const { fake, ex, close } = await fakeAndAdapter();
    cleanup = close;
    await expect(ex.placeOrder({ orderLinkId: 'bad id!', symbol: 'BTCUSDT', side: 'Buy', type: 'market', qty: 0.01 })).rejects.toThrow(/orderLinkId/);
    await expect(ex.placeOrder({ orderLinkId: 'tiny', symbol: 'BTCUSDT', side: 'Buy', type: 'market', qty: 0.0004 })).rejects.toThrow(/below the minimum/);
    expect(fake.requests.filter((r) => r.path === '/v5/order/create')).toHaveLength(0);
    const err = await ex.setTradingStop('BTCUSDT', 50_000).catch((e) => e);
    expect(err).toBeInstanceOf(ExchangeError);
    expect(err).toMatchObject({ retCode: 10001, outcome: 'rejected' });
  });

  it('a wrong secret is rejected by the fake (signatures are really checked)', async () => {
    const { fake, close } = await fakeAndAdapter();
    cleanup = close;
    const bad = new BybitExchange({ mode: 'testnet', key: 'test-key-123456', secret: 'wrong-secret-000', restUrl: fake.restUrl, requestTimeoutMs: 1000 });
    await expect(bad.balance()).rejects.toMatchObject({ retCode: 10004 });
    const pub = new BybitExchange({ mode: 'public', restUrl: fake.restUrl });
    await expect(pub.balance()).rejects.toThrow(/public/);
    expect((await pub.tickers(['ETHUSDT']))[0].lastPrice).toBe(3000);
  });

  it('streams only confirmed candles and private order/execution/position updates', async () => {
    const { fake, ex, close } = await fakeAndAdapter();
    cleanup = close;
    const c = collector();
    await ex.subscribe(['BTCUSDT'], '1m', c.onEvent);
    const [ts] = closedMinutes(1);
    fake.pushKline('BTCUSDT', '1', { ts, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 }, false);
    fake.pushKline('BTCUSDT', '1', { ts, open: 1, high: 2, low: 0.5, close: 1.6, volume: 4 }, true);
    await until(() => c.of('candle').length === 1, 'confirmed candle');
    expect(c.of('candle')[0]).toEqual({ type: 'candle', symbol: 'BTCUSDT', tf: '1m', candle: { ts, open: 1, high: 2, low: 0.5, close: 1.6, volume: 4 } });
    await ex.placeOrder({ orderLinkId: 'ws-1', symbol: 'BTCUSDT', side: 'Sell', type: 'market', qty: 0.002, stopLoss: 61_000 });
    await until(() => c.of('fill').length === 1 && c.of('position').some((p) => p.position.size > 0), 'fill and position events');
    expect(c.of('fill')[0].fill).toMatchObject({ orderLinkId: 'ws-1', qty: 0.002, price: 60_000, side: 'Sell' });
    expect(c.of('order').some((o) => o.order.orderLinkId === 'ws-1' && o.order.status === 'filled')).toBe(true);
    fake.state.setPrice('BTCUSDT', 61_500); // stop triggers on the exchange
    await until(() => c.of('position').some((p) => p.position.size === 0), 'flat position event');
    expect(c.of('fill').at(-1)!.fill).toMatchObject({ trigger: 'stop_loss', reduceOnly: true, qty: 0.002 });
  });
});
