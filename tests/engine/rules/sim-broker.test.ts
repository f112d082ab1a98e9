// Fills, costs and the hybrid entry as the backtest and paper venues really execute them:
// SimBroker plays candles against orders and protection, TradingSession decides the entry
// (limit, then market or missed). Hand-built candle paths, long and mirrored short.
import { describe, expect, it } from 'vitest';
import { SimBroker, type SimFill } from '../../../engine/sim-broker.js';
import { TradingSession, type SessionEvent } from '../../../engine/session.js';
import { DEFAULT_PARAMS, type EngineParams } from '../../../engine/params.js';
import { applyCommand } from '../../../src/backtest/sim-venue.js';
import type { Candle, Direction, Signal } from '../../../engine/types.js';

const M = 60_000;
const H = 3_600_000;
const T0 = 1_700_006_400_000; // a multiple of 8 h (a funding time)
const costs = { maker_fee: 0.0002, taker_fee: 0.00055, slippage: 0.0002, funding_rate: 0.0001 };
const k = (i: number, open: number, high: number, low: number, close: number): Candle => ({ ts: T0 + i * M, open, high, low, close, volume: 1 });
/** The same path seen by a short: prices mirrored around 100. */
const mirror = (c: Candle): Candle => ({ ...c, open: 200 - c.open, high: 200 - c.low, low: 200 - c.high, close: 200 - c.close });
const side = (d: Direction) => (d === 'long' ? (c: Candle) => c : mirror);
const sgn = (d: Direction) => (d === 'long' ? 1 : -1);

/** A broker holding one position of `d` at 100 with stop 98 / target 103 (mirrored for a short). */
function withPosition(d: Direction): SimBroker {
  const b = new SimBroker(costs);
  b.place({ id: 'e', symbol: 'BTCUSDT', kind: 'market_entry', direction: d, qty: 1, price: 0, takeProfit: 100 + sgn(d) * 3, stopLoss: 100 - sgn(d) * 2, placedAt: T0 - M });
  const { fills } = b.processCandle('BTCUSDT', k(-1, 100, 100, 100, 100), M);
  expect(fills).toHaveLength(1);
  return b;
}

describe('SimBroker: entries', () => {
  it.each(['long', 'short'] as const)('%s: a limit fills only when price trades through it, at the limit with the maker fee, at the candle close', (d) => {
    const b = new SimBroker(costs);
    const limit = 100 - sgn(d) * 0.1;
    b.place({ id: 'L', symbol: 'BTCUSDT', kind: 'limit_entry', direction: d, qty: 2, price: limit, placedAt: T0 });
    expect(b.processCandle('BTCUSDT', side(d)(k(0, 100, 100.2, 99.9, 100)), M).fills).toEqual([]); // touches only
    const { fills } = b.processCandle('BTCUSDT', side(d)(k(1, 100, 100.1, 99.85, 99.95)), M);
    expect(fills).toEqual([expect.objectContaining({ orderId: 'L', reduce: false, qty: 2, price: limit, fee: 2 * limit * 0.0002, isMaker: true, trigger: 'limit', time: T0 + 2 * M })]);
    expect(b.position('BTCUSDT')).toMatchObject({ direction: d, size: 2, entryPrice: limit });
  });

  it.each(['long', 'short'] as const)('%s: a market entry fills at the next open plus adverse slippage with the taker fee', (d) => {
    const b = new SimBroker(costs);
    b.place({ id: 'm', symbol: 'BTCUSDT', kind: 'market_entry', direction: d, qty: 3, price: 0, placedAt: T0 });
    const [f] = b.processCandle('BTCUSDT', k(0, 100, 101, 99, 100.5), M).fills;
    const px = 100 * (1 + sgn(d) * 0.0002); // buyers pay more, sellers get less
    expect(f).toMatchObject({ price: px, fee: 3 * px * 0.00055, isMaker: false, trigger: 'market', time: T0 });
  });

  it('an order placed after a candle opened waits for the next candle; other symbols never fill it', () => {
    const b = new SimBroker(costs);
    b.place({ id: 'm', symbol: 'BTCUSDT', kind: 'market_entry', direction: 'long', qty: 1, price: 0, placedAt: T0 + 30_000 });
    expect(b.processCandle('BTCUSDT', k(0, 100, 101, 99, 100), M).fills).toEqual([]);
    expect(b.processCandle('ETHUSDT', k(1, 100, 101, 99, 100), M).fills).toEqual([]);
    expect(b.processCandle('BTCUSDT', k(1, 100, 101, 99, 100), M).fills).toHaveLength(1);
  });

  it('a cancelled limit never fills; placing an id twice keeps the first order', () => {
    const b = new SimBroker(costs);
    b.place({ id: 'L', symbol: 'BTCUSDT', kind: 'limit_entry', direction: 'long', qty: 1, price: 99, placedAt: T0 });
    expect(b.place({ id: 'L', symbol: 'BTCUSDT', kind: 'limit_entry', direction: 'long', qty: 5, price: 98, placedAt: T0 }).qty).toBe(1);
    b.cancel('L');
    expect(b.processCandle('BTCUSDT', k(0, 100, 100, 90, 95), M).fills).toEqual([]);
    expect(b.openOrders()).toEqual([]);
  });
});

describe('SimBroker: protection and exits', () => {
  it.each(['long', 'short'] as const)('%s: when one candle touches both, the stop is taken first, at its level minus slippage', (d) => {
    const b = withPosition(d);
    const [f] = b.processCandle('BTCUSDT', side(d)(k(0, 100, 103.5, 97.5, 101)), M).fills;
    const stop = 100 - sgn(d) * 2;
    expect(f).toMatchObject({ trigger: 'stop_loss', reduce: true, price: stop * (1 - sgn(d) * 0.0002), fee: stop * (1 - sgn(d) * 0.0002) * 0.00055, time: T0 + M });
    expect(b.position('BTCUSDT')).toBeNull();
  });

  it.each(['long', 'short'] as const)('%s: a gap through the stop fills at the open; the target fills at its level', (d) => {
    const gap = withPosition(d).processCandle('BTCUSDT', side(d)(k(0, 97, 97.5, 96, 97)), M).fills[0]!;
    expect(gap).toMatchObject({ trigger: 'stop_loss', price: (100 - sgn(d) * 3) * (1 - sgn(d) * 0.0002), time: T0 });
    const tp = withPosition(d).processCandle('BTCUSDT', side(d)(k(0, 101, 103.2, 100.5, 102)), M).fills[0]!;
    expect(tp).toMatchObject({ trigger: 'take_profit', price: (100 + sgn(d) * 3) * (1 - sgn(d) * 0.0002), time: T0 + M });
  });

  it('a limit filled inside a candle is checked against its stop only (the path inside is unknown)', () => {
    const b = new SimBroker(costs);
    b.place({ id: 'L', symbol: 'BTCUSDT', kind: 'limit_entry', direction: 'long', qty: 1, price: 99.9, takeProfit: 100.5, stopLoss: 99, placedAt: T0 });
    const hitsTarget: SimFill[] = b.processCandle('BTCUSDT', k(0, 100, 101, 99.5, 100.8), M).fills;
    expect(hitsTarget.map((f) => f.trigger)).toEqual(['limit']); // TP 100.5 not taken on the fill candle
    const c = new SimBroker(costs);
    c.place({ id: 'L', symbol: 'BTCUSDT', kind: 'limit_entry', direction: 'long', qty: 1, price: 99.9, takeProfit: 100.5, stopLoss: 99, placedAt: T0 });
    expect(c.processCandle('BTCUSDT', k(0, 100, 101, 98.5, 99.2), M).fills.map((f) => f.trigger)).toEqual(['limit', 'stop_loss']);
  });

  it.each(['long', 'short'] as const)('%s: a close is a reduce-only market order at the next open with adverse slippage and the taker fee', (d) => {
    const b = withPosition(d);
    b.place({ id: 'x', symbol: 'BTCUSDT', kind: 'market_close', direction: d, qty: 1, price: 0, placedAt: T0 });
    const [f] = b.processCandle('BTCUSDT', k(0, 101, 101.5, 100.5, 101), M).fills;
    const px = 101 * (1 - sgn(d) * 0.0002);
    expect(f).toMatchObject({ trigger: 'close', reduce: true, qty: 1, price: px, fee: px * 0.00055, time: T0 });
    expect(b.position('BTCUSDT')).toBeNull();
  });

  it('moving the stop takes effect from the next candle', () => {
    const b = withPosition('long');
    b.setTradingStop('BTCUSDT', 100.05);
    expect(b.processCandle('BTCUSDT', k(0, 100.5, 100.9, 100, 100.6), M).fills[0]).toMatchObject({ trigger: 'stop_loss', price: 100.05 * 0.9998 });
    expect(() => b.setTradingStop('BTCUSDT', 1)).toThrow(/no open position on BTCUSDT/);
  });
});

describe('SimBroker: funding', () => {
  it.each([['long', 1], ['short', -1]] as const)('%s: charged at the 8 h mark on size × open × rate (longs pay a positive rate)', (d, sign) => {
    const b = withPosition(d);
    expect(b.processCandle('BTCUSDT', k(1, 100, 100.5, 99.5, 100), M).funding).toEqual([]); // not a funding time
    const eight = { ts: T0 + 8 * H, open: 100, high: 100.5, low: 99.5, close: 100, volume: 1 };
    expect(b.processCandle('BTCUSDT', eight, M).funding).toEqual([{ symbol: 'BTCUSDT', amount: sign * 1 * 100 * 0.0001, time: T0 + 8 * H }]);
    expect(b.position('BTCUSDT')!.fundingPaid).toBeCloseTo(sign * 0.01, 12);
    expect(new SimBroker({ ...costs, funding_rate: 0 }).processCandle('BTCUSDT', eight, M).funding).toEqual([]);
  });
});

// ---- the hybrid entry, decided by the session and executed by the broker ----

const PARAMS: EngineParams = { ...DEFAULT_PARAMS, ...costs, limit_offset: 0.001, limit_timeout_seconds: 120, chase_max_target_fraction: 0.25 };

/** A signal at 100 known at T0: TP distance 2 (chase guard 0.5), stop 1 away. */
function signal(d: Direction): Signal {
  return {
    id: `BTCUSDT-${d}-${T0}`, symbol: 'BTCUSDT', direction: d, time: T0, price: 100, confidence: 90, factors: [], atr: 1,
    snapshot: { htf_bias: 'neutral', near_bullish_ob: false, near_bearish_ob: false, in_bullish_fvg: false, in_bearish_fvg: false, bullish_sweep: false, bearish_sweep: false, mtf_rsi: 50, market_structure: 'neutral' },
    targets: { tpDistance: 2, slDistance: 1, takeProfit: 100 + sgn(d) * 2, stopLoss: 100 - sgn(d), leverage: 5 },
    mlProbability: null,
  };
}

/** Opens the signal's entry at T0 and plays the candles like the backtest loop; returns the events. */
function playEntry(d: Direction, candles: Candle[], params: EngineParams = PARAMS): { events: SessionEvent[]; fills: SimFill[] } {
  const session = new TradingSession({ params, symbols: ['BTCUSDT'], baseTf: '1m', autoExecute: false, maxDailyLossPercent: 0, mlMinConfidence: 0 });
  const broker = new SimBroker(params);
  const events: SessionEvent[] = [];
  const fills: SimFill[] = [];
  const opened = session.openEntry(signal(d), T0);
  expect(opened.ok).toBe(true);
  let out = session.drain();
  for (const cmd of out.commands) applyCommand(broker, cmd, T0);
  events.push(...out.events);
  for (const c of candles.map(side(d))) {
    for (const f of broker.processCandle('BTCUSDT', c, M).fills) {
      fills.push(f);
      session.onFill(f);
    }
    session.onCandle('BTCUSDT', c);
    out = session.endStep(c.ts + M);
    for (const cmd of out.commands) applyCommand(broker, cmd, c.ts + M);
    events.push(...out.events.filter((e) => !(e.type === 'signal' && e.fate === 'awaiting_approval')));
  }
  return { events, fills };
}

describe('hybrid entry (session + broker)', () => {
  it.each(['long', 'short'] as const)('%s: the limit rests 0.1 percent better than the signal and fills when traded through', (d) => {
    const { events, fills } = playEntry(d, [k(0, 100, 100.2, 99.9, 100), k(1, 100, 100.1, 99.85, 99.95)]);
    const limit = 100 * (1 - sgn(d) * 0.001);
    expect(events[0]).toMatchObject({ type: 'entry_placed', orderType: 'limit', price: limit });
    expect(fills).toEqual([expect.objectContaining({ trigger: 'limit', price: limit, isMaker: true, time: T0 + 2 * M })]);
    expect(events.find((e) => e.type === 'trade_opened')).toMatchObject({ price: limit, time: T0 + 2 * M });
  });

  it.each(['long', 'short'] as const)('%s: not filled by the timeout and moved under 25 percent of the target → market at the next open', (d) => {
    const path = [k(0, 100, 100.3, 99.95, 100.2), k(1, 100.2, 100.45, 100.1, 100.4), k(2, 100.5, 100.6, 100.3, 100.5)];
    const { events, fills } = playEntry(d, path);
    expect(events.filter((e) => e.type === 'entry_placed').map((e) => e.type === 'entry_placed' && e.orderType)).toEqual(['limit', 'market']);
    const px = side(d)(path[2]!).open * (1 + sgn(d) * 0.0002);
    expect(fills).toEqual([expect.objectContaining({ trigger: 'market', price: px, isMaker: false, time: T0 + 2 * M })]);
    expect(fills[0]!.fee).toBeCloseTo(fills[0]!.qty * px * 0.00055, 12);
  });

  it.each(['long', 'short'] as const)('%s: price ran at least 25 percent of the target away by the timeout → entry_missed, nothing fills', (d) => {
    const path = [k(0, 100, 100.3, 99.95, 100.2), k(1, 100.2, 100.6, 100.1, 100.5), k(2, 100.5, 100.6, 100.3, 100.5)];
    const { events, fills } = playEntry(d, path);
    expect(fills).toEqual([]);
    expect(events.find((e) => e.type === 'entry_missed')).toMatchObject({ time: T0 + 2 * M });
  });

  it('a move against the trade is chased (the limit was simply not reached)', () => {
    const path = [k(0, 100, 100.1, 99.95, 99.96), k(1, 99.96, 99.99, 99.92, 99.95), k(2, 99.95, 99.97, 99.91, 99.93)];
    const { fills } = playEntry('long', path);
    expect(fills.map((f) => f.trigger)).toEqual(['market']);
  });

  it('without limit entries the entry is a market order filled at the next open', () => {
    const { events, fills } = playEntry('short', [k(0, 100, 100.5, 99.5, 100)], { ...PARAMS, use_limit_entry: false });
    expect(events[0]).toMatchObject({ type: 'entry_placed', orderType: 'market' });
    expect(fills).toEqual([expect.objectContaining({ trigger: 'market', price: 100 * 0.9998 })]);
  });
});
