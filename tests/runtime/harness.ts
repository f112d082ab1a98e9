// The real Runtime on the fake Bybit (real bybit-api client), as the runtime tests build it: one
// BTCUSDT long signal, a runtime factory with test-sized executor waits, and cleanup after each test.
import { afterEach } from 'vitest';
import { DEFAULT_PARAMS, coinConfig } from '../../engine/params.js';
import type { Signal } from '../../engine/types.js';
import { Runtime, type RuntimeOptions } from '../../src/runtime/runtime.js';
import type { Store } from '../../src/storage/store.js';
import type { BotEvent } from '../../handlers/control.js';
import { silentLogger } from '../../src/log.js';
import type { FakeBybit } from '../fakes/bybit/server.js';
import { adapterFor, until } from '../exchange/helpers.js';

/** Market entries (no limit first), so an entry fills on the next fake tick. */
export const PARAMS = { ...DEFAULT_PARAMS, use_limit_entry: false };

/** Run after each test, last registered first. */
export const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

/** A long BTCUSDT signal at `time` (entry 60 000, TP 61 200, SL 59 400, 10×). */
export function longSignal(time: number): Signal {
  return {
    id: `BTCUSDT-long-${time}`, symbol: 'BTCUSDT', direction: 'long', time, price: 60_000, confidence: 90,
    factors: [{ factor: 'htf_aligned', points: 25 }, { factor: 'sweep', points: 20 }], atr: 400,
    snapshot: { htf_bias: 'bullish', near_bullish_ob: true, near_bearish_ob: false, in_bullish_fvg: false, in_bearish_fvg: false, bullish_sweep: true, bearish_sweep: false, mtf_rsi: 28, market_structure: 'bullish' },
    targets: { tpDistance: 1_200, slDistance: 600, takeProfit: 61_200, stopLoss: 59_400, leverage: 10 },
    mlProbability: null,
  };
}

/** A BTCUSDT runtime in testnet auto mode on `fake`; `over` replaces any option. Stopped after the test. */
export function runtimeOn(fake: FakeBybit, store: Store | null, published: BotEvent[], over: Partial<RuntimeOptions> = {}): Runtime {
  const rt = new Runtime({
    exchange: adapterFor(fake), store, publisher: { publish: async (e) => { published.push(e); } }, logger: silentLogger,
    params: PARAMS, coins: { BTCUSDT: coinConfig('BTCUSDT') }, symbols: ['BTCUSDT'], baseTf: '1m', tradingMode: 'testnet',
    executionMode: 'auto', approvalTimeoutSeconds: 120, maxDailyLossPercent: 0, mlMinConfidence: 0, backfill: false,
    executor: { lookupAttempts: 3, lookupBackoffMs: 10 }, storeFlushTimeoutMs: 2_000, ...over,
  });
  cleanups.push(() => rt.stop());
  return rt;
}

/** Asks the session to close `symbol` (as /close does) and waits until the trade has closed. */
export async function closeTrade(rt: Runtime, published: BotEvent[], symbol = 'BTCUSDT'): Promise<void> {
  await rt.runExclusive(async () => { rt.session.requestClose(symbol); await rt.processDrained(); });
  await until(async () => { await rt.idle(); return published.some((e) => e.type === 'trade_closed'); }, 'trade closed');
}

/** The cash the exchange's executions on `symbol` moved: every sell minus every buy, minus every fee. */
export function exchangeCash(fake: FakeBybit, symbol = 'BTCUSDT'): number {
  return fake.state.executions.filter((e) => e.symbol === symbol)
    .reduce((s, e) => s + (e.side === 'Sell' ? 1 : -1) * e.execQty * e.execPrice - e.execFee, 0);
}

/** Executes the long BTCUSDT signal of the minute before now and waits for its entry to fill. */
export async function openLong(rt: Runtime): Promise<void> {
  const r = await rt.executeSignal(longSignal(Math.floor(Date.now() / 60_000) * 60_000 - 60_000), null);
  if (!r.ok) throw new Error(`the test signal was not executed: ${JSON.stringify(r)}`);
  await until(async () => { await rt.idle(); return (rt.session.openTrades().get('BTCUSDT')?.qty ?? 0) > 0; }, 'entry fill');
}
