// The coin universe against the fake Bybit (real bybit-api client, no internet): the tickers answer
// decides which coins are traded; a refresh adds a coin that is warmed up by REST, then streamed,
// and signals on its candles; a coin that leaves the top N stops being scanned but stays managed.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PARAMS, coinConfig } from '../../engine/params.js';
import type { Candle } from '../../engine/types.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { CoinUniverse } from '../../src/runtime/universe.js';
import { SimulatedExchange } from '../../src/runtime/simulated-exchange.js';
import { ExchangeCandleSource } from '../../src/runtime/bybit-source.js';
import type { BotEvent } from '../../handlers/control.js';
import { startFakeBybit, type FakeBybit } from '../fakes/bybit/server.js';
import { adapterFor, until } from '../exchange/helpers.js';
import { captureLogger } from '../chat/log-capture.js';
import { WARM, findSignal, solCandles } from './universe-signal.js';

const INST = { tickSize: '0.001', qtyStep: '0.1', minOrderQty: '0.1', maxOrderQty: '100000', minNotionalValue: '5', maxLeverage: '50.00' };

let candles: Candle[];
let found: ReturnType<typeof findSignal>;
beforeAll(() => {
  candles = solCandles();
  found = findSignal(candles);
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Venue = 'bybit' | 'paper';

async function setup(venue: Venue = 'bybit') {
  const fake = await startFakeBybit();
  const start = found.start;
  let now = candles[start].ts; // the bot's clock: the coin's history up to here is closed
  fake.state.addInstrument({ symbol: 'SOLUSDT', status: 'Trading', ...INST }, candles[start - 1].close);
  fake.state.addInstrument({ symbol: 'NEWUSDT', status: 'PreLaunch', ...INST }, 1);
  fake.state.addInstrument({ symbol: 'LOWUSDT', status: 'Trading', ...INST }, 1);
  for (let i = start - WARM; i < start; i++) fake.state.addCandle('SOLUSDT', '1', candles[i]);
  const turnover = { BTCUSDT: 5e9, ETHUSDT: 1e9, SOLUSDT: 2e9, NEWUSDT: 9e9, LOWUSDT: 1e6 };
  for (const [s, v] of Object.entries(turnover)) fake.state.turnover.set(s, v);

  // bybit: the keyed adapter; paper: the simulated venue on Bybit's public market data (what `npm start` runs).
  const ex = venue === 'bybit'
    ? adapterFor(fake, { now: () => now })
    : new SimulatedExchange('paper', new ExchangeCandleSource(adapterFor(fake, { mode: 'public', key: undefined, secret: undefined, now: () => now })), DEFAULT_PARAMS);
  const log = captureLogger();
  const published: BotEvent[] = [];
  const runtime = new Runtime({
    exchange: ex, store: null, publisher: { publish: async (e) => { published.push(e); } }, logger: log.logger,
    params: DEFAULT_PARAMS, coins: { BTCUSDT: coinConfig('BTCUSDT') }, symbols: ['BTCUSDT'], baseTf: '1m', tradingMode: venue === 'bybit' ? 'testnet' : 'paper',
    executionMode: 'approve', approvalTimeoutSeconds: 120, maxDailyLossPercent: 5, mlMinConfidence: 0, backfill: true, clock: () => now,
  });
  const universe = new CoinUniverse({ runtime, configured: ['BTCUSDT'], topN: 2, coinFor: (s) => coinConfig(s), logger: log.logger, clock: () => now });
  cleanups.push(async () => { universe.stop(); await runtime.stop(); await fake.close(); });
  await runtime.start();
  return { fake, runtime, universe, log, published, setNow: (t: number) => { now = t; } };
}

describe('coin universe with the fake Bybit', () => {
  it.each(['bybit', 'paper'] as const)('%s: the tickers answer decides the coins; an added coin is warmed up, streamed and signals', async (venue) => {
    const { fake, runtime, universe, log, published } = await setup(venue);
    const change = await universe.refresh();
    // BTC (configured) and the top 2 tradable by turnover: BTC, SOL. NEWUSDT is pre-launch, LOWUSDT too small.
    expect(change.universe).toEqual(['BTCUSDT', 'SOLUSDT']);
    expect(change.added).toEqual(['SOLUSDT']);
    expect(runtime.opts.symbols).toEqual(['BTCUSDT', 'SOLUSDT']);
    expect(runtime.session.isScanning('SOLUSDT')).toBe(true);
    // Warmed by REST with all the history the fake has, then subscribed on the public socket.
    const warm = log.lines().find((l) => l.msg === 'warm-up done' && l.symbol === 'SOLUSDT');
    expect(warm?.candles).toBe(WARM);
    expect(log.lines().some((l) => l.msg === 'coin universe: added a top coin by 24h turnover' && l.symbol === 'SOLUSDT' && l.turnover24h === 2e9)).toBe(true);

    // The coin's candles arrive on the stream; the signal found offline appears at the same time.
    for (let i = found.start; i <= found.signalIndex + 1; i++) fake.pushKline('SOLUSDT', '1', candles[i], true);
    await until(() => runtime.lastPrice.get('SOLUSDT') === candles[found.signalIndex + 1].close, 'SOLUSDT candles through the runtime');
    await runtime.idle();
    const signals = published.filter((e): e is Extract<BotEvent, { type: 'signal' }> => e.type === 'signal');
    expect(signals.map((e) => [e.signal.symbol, e.signal.time])).toEqual([['SOLUSDT', found.signalTime]]);
    expect(signals[0].approval).not.toBeNull();
  }, 60_000);

  it('a refresh drops a coin that left the top N from scanning, adds the new one, and scans it again when it is back', async () => {
    const { fake, runtime, universe, log } = await setup();
    await universe.refresh();
    const solFetches = () => fake.requests.filter((r) => r.path === '/v5/market/kline' && /symbol=SOLUSDT/.test(r.query)).length;
    const warmed = solFetches();
    expect(warmed).toBeGreaterThan(0);
    fake.state.turnover.set('ETHUSDT', 3e9); // ETH overtakes SOL
    const second = await universe.refresh();
    expect(second).toMatchObject({ universe: ['BTCUSDT', 'ETHUSDT'], added: ['ETHUSDT'], dropped: ['SOLUSDT'], resumed: [] });
    // SOL keeps streaming (an open trade would still be managed) but gets no new entries.
    expect(runtime.opts.symbols).toEqual(['BTCUSDT', 'SOLUSDT', 'ETHUSDT']);
    expect(runtime.session.isScanning('SOLUSDT')).toBe(false);
    expect(runtime.session.isScanning('ETHUSDT')).toBe(true);
    expect(log.lines().some((l) => /left the top coins/.test(l.msg) && l.symbol === 'SOLUSDT' && l.openTrade === false)).toBe(true);

    fake.state.turnover.set('SOLUSDT', 4e9); // SOL back above ETH
    const third = await universe.refresh();
    expect(third).toMatchObject({ universe: ['BTCUSDT', 'SOLUSDT'], added: [], dropped: ['ETHUSDT'], resumed: ['SOLUSDT'] });
    expect(runtime.session.isScanning('SOLUSDT')).toBe(true);
    expect(runtime.session.isScanning('ETHUSDT')).toBe(false);
    expect(runtime.opts.symbols).toEqual(['BTCUSDT', 'SOLUSDT', 'ETHUSDT']);
    expect(solFetches()).toBe(warmed); // kept warm while dropped: not backfilled again
  }, 60_000);

  it('start(): a refresh that fails at start-up (Bybit answering 502) is logged and retried until the coins are added', async () => {
    const { fake, runtime, log } = await setup();
    fake.faults.rest('/v5/market/tickers', { kind: 'status', status: 502 }, 12);
    const universe = new CoinUniverse({ runtime, configured: ['BTCUSDT'], topN: 2, coinFor: (s) => coinConfig(s), logger: log.logger, retryMs: 20 });
    cleanups.push(async () => universe.stop());
    universe.start();
    await until(() => runtime.opts.symbols.includes('SOLUSDT'), 'SOLUSDT added after the retries');
    expect(log.lines().filter((l) => l.msg === 'coin universe refresh failed; keeping the current coins').length).toBeGreaterThan(0);
    expect(fake.requests.filter((r) => r.path === '/v5/market/tickers' && r.answered === 'HTTP 502')).toHaveLength(12);
  }, 60_000);

  it('an added coin survives a WebSocket drop: resubscribed, and the candles missed meanwhile come by REST', async () => {
    const { fake, runtime, universe, setNow } = await setup();
    await universe.refresh();
    const s = found.start;
    fake.pushKline('SOLUSDT', '1', candles[s], true);
    await until(() => runtime.lastPrice.get('SOLUSDT') === candles[s].close, 'the first streamed SOLUSDT candle');
    setNow(candles[s + 3].ts);
    fake.faults.dropWs('public');
    fake.state.addCandle('SOLUSDT', '1', candles[s + 1]); // closed while the socket was down
    fake.state.addCandle('SOLUSDT', '1', candles[s + 2]);
    await until(() => runtime.lastPrice.get('SOLUSDT') === candles[s + 2].close, 'the missed SOLUSDT candles after the reconnect');
    fake.pushKline('SOLUSDT', '1', candles[s + 3], true);
    await until(() => runtime.lastPrice.get('SOLUSDT') === candles[s + 3].close, 'SOLUSDT streamed again on the new socket');
  }, 60_000);

  it('a tickers answer without turnover keeps the current coins and reports the failure', async () => {
    const { fake, runtime, universe } = await setup();
    await universe.refresh();
    for (const s of fake.state.instruments.keys()) fake.state.turnover.set(s, 0);
    await expect(universe.refresh()).rejects.toThrow(/no 24h turnover/);
    expect(runtime.opts.symbols).toEqual(['BTCUSDT', 'SOLUSDT']);
    expect(runtime.session.isScanning('SOLUSDT')).toBe(true);
  }, 60_000);
});
