import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TradeManager, type TradeAction, type TradeManagerInit } from '../../../engine/trade-manager.js';
import { DEFAULT_PARAMS } from '../../../engine/params.js';
import type { Candle, Direction } from '../../../engine/types.js';

const M = 60_000;
const T0 = 1_700_000_040_000 - (1_700_000_040_000 % M);
/** Candle i of a 1m path: opens at T0 + i minutes. */
const k = (i: number, open: number, high: number, low: number, close: number): Candle => ({ ts: T0 + i * M, open, high, low, close, volume: 1 });

const params = { ...DEFAULT_PARAMS, taker_fee: 0.0005, trailing_factor: 0.5, breakeven_progress: 0.5, time_exit_small_loss_fraction: 0.3 };

/** Long at 100, TP 102 (2 %), SL 99; short at 100, TP 98, SL 101. BE = entry ± 0.1 %. */
function manager(direction: Direction, over: Partial<TradeManagerInit> = {}, p = params): TradeManager {
  const long = direction === 'long';
  return new TradeManager({
    direction, entryPrice: 100, entryTime: T0, takeProfit: long ? 102 : 98, stopLoss: long ? 99 : 101,
    maxDurationMinutes: 600, params: p, ...over,
  });
}

function run(m: TradeManager, candles: Candle[]): TradeAction[][] {
  return candles.map((c) => m.onCandle(c, c.ts + M));
}

/** Mirror a long path around 100 to get the short path. */
const mirror = (c: Candle): Candle => ({ ...c, open: 200 - c.open, high: 200 - c.low, low: 200 - c.high, close: 200 - c.close });

describe('TradeManager: take profit and stop loss', () => {
  const tpPath = [k(0, 100, 100.8, 99.5, 100.6), k(1, 100.6, 102.1, 100.5, 101.8)];
  it.each(['long', 'short'] as const)('%s: take profit at the target', (d) => {
    const path = d === 'long' ? tpPath : tpPath.map(mirror);
    const acts = run(manager(d), path);
    expect(acts[0]).toEqual([]);
    expect(acts[1]).toEqual([{ type: 'exit', reason: 'take_profit', price: d === 'long' ? 102 : 98 }]);
  });

  it.each(['long', 'short'] as const)('%s: stop loss at the stop', (d) => {
    const path = [k(0, 100, 100.5, 98.9, 99.2)];
    const acts = run(manager(d), d === 'long' ? path : path.map(mirror));
    expect(acts[0]).toEqual([{ type: 'exit', reason: 'stop_loss', price: d === 'long' ? 99 : 101 }]);
  });

  it.each(['long', 'short'] as const)('%s: one candle touching both → stop first', (d) => {
    const path = [k(0, 100, 102.5, 98.5, 101)];
    const acts = run(manager(d), d === 'long' ? path : path.map(mirror));
    expect(acts[0]).toEqual([{ type: 'exit', reason: 'stop_loss', price: d === 'long' ? 99 : 101 }]);
  });

  it.each(['long', 'short'] as const)('%s: gap through the stop fills at the open', (d) => {
    const path = [k(0, 100, 100.4, 99.6, 99.8), k(1, 98.5, 98.9, 98, 98.2)];
    const acts = run(manager(d), d === 'long' ? path : path.map(mirror));
    expect(acts[1]).toEqual([{ type: 'exit', reason: 'stop_loss', price: d === 'long' ? 98.5 : 101.5 }]);
  });

  it.each(['long', 'short'] as const)('%s: gap through the target fills at the open', (d) => {
    const path = [k(0, 100, 100.4, 99.6, 99.8), k(1, 102.5, 103, 102.2, 102.8)];
    const acts = run(manager(d), d === 'long' ? path : path.map(mirror));
    expect(acts[1]).toEqual([{ type: 'exit', reason: 'take_profit', price: d === 'long' ? 102.5 : 97.5 }]);
  });

  it('touching the stop exactly is a hit; one tick above is not', () => {
    expect(run(manager('long'), [k(0, 100, 100.2, 99, 99.5)])[0]).toEqual([{ type: 'exit', reason: 'stop_loss', price: 99 }]);
    expect(run(manager('long'), [k(0, 100, 100.2, 99.01, 99.5)])[0]).toEqual([]);
  });

  it('after an exit it decides nothing more', () => {
    const m = manager('long');
    run(m, [k(0, 100, 100.5, 98.9, 99.2)]);
    expect(m.exited).toBe('stop_loss');
    expect(m.onCandle(k(1, 99, 103, 95, 100), T0 + 2 * M)).toEqual([]);
  });

  it('ignores a candle that opened before the entry fill (its path before the fill is unknown)', () => {
    const m = manager('long', { entryTime: T0 + M });
    expect(m.onCandle(k(0, 100, 103, 98, 100), T0 + M)).toEqual([]);
    expect(m.stop).toBe(99);
    expect(m.mfePercent).toBe(0);
  });
});

describe('TradeManager: break-even and trailing', () => {
  // trailing_factor 1 puts the trail (best − 1.0) under break-even at 50 % progress.
  const wide = { ...params, trailing_factor: 1 };

  it.each(['long', 'short'] as const)('%s: break-even exactly at 50 percent progress, not below', (d) => {
    const almost = [k(0, 100, 100.998, 99.8, 100.5)];
    const m0 = manager(d, {}, wide);
    expect(run(m0, d === 'long' ? almost : almost.map(mirror))[0]).toEqual([]);
    expect(m0.phase).toBe('initial');

    const exact = [k(0, 100, 101, 99.8, 100.5)];
    const m = manager(d, {}, wide);
    const acts = run(m, d === 'long' ? exact : exact.map(mirror));
    const be = d === 'long' ? 100 * (1 + 2 * 0.0005) : 100 * (1 - 2 * 0.0005);
    expect(acts[0]).toEqual([{ type: 'move_stop', stop: be, reason: 'break_even' }]);
    expect(m.stopForExchange).toBe(be);
    expect(m.stopExitReason()).toBe('break_even');
  });

  it.each(['long', 'short'] as const)('%s: stop hit at the break-even level → break_even', (d) => {
    const path = [k(0, 100, 101, 99.8, 100.5), k(1, 100.5, 100.6, 100, 100.05)];
    const acts = run(manager(d, {}, wide), d === 'long' ? path : path.map(mirror));
    expect(acts[1]).toEqual([{ type: 'exit', reason: 'break_even', price: d === 'long' ? 100.1 : 99.9 }]);
  });

  it.each(['long', 'short'] as const)('%s: trailing follows the best price by 0.5 × initial stop distance and never loosens', (d) => {
    const path = [
      k(0, 100, 101.2, 99.9, 101), // best 101.2 → trail 100.7
      k(1, 101, 101.6, 100.9, 101.5), // best 101.6 → 101.1
      k(2, 101.5, 101.55, 101.2, 101.3), // no new best → no move
      k(3, 101.3, 101.4, 101.15, 101.2), // still above 101.1 → no move
      k(4, 101.2, 101.3, 101.0, 101.1), // low 101.0 ≤ 101.1 → trailing stop
    ];
    const acts = run(manager(d), d === 'long' ? path : path.map(mirror));
    const s = (x: number) => (d === 'long' ? x : 200 - x);
    expect(acts[0]).toHaveLength(1);
    expect(acts[0]![0]).toMatchObject({ type: 'move_stop', reason: 'trailing' });
    expect((acts[0]![0] as { stop: number }).stop).toBeCloseTo(s(100.7), 10);
    expect((acts[1]![0] as { stop: number }).stop).toBeCloseTo(s(101.1), 10);
    expect(acts[2]).toEqual([]);
    expect(acts[3]).toEqual([]);
    expect(acts[4]).toHaveLength(1);
    expect(acts[4]![0]).toMatchObject({ type: 'exit', reason: 'trailing_stop' });
    expect((acts[4]![0] as { price: number }).price).toBeCloseTo(s(101.1), 10);
  });

  it('no lookahead inside a candle: the stop moved by this candle only applies from the next one', () => {
    // candle 0 reaches 101.2 (trail 100.7) and also dips to 100.2, which is under the new stop:
    // the stop in force at its open was 99, so no exit on candle 0.
    const m = manager('long');
    const acts = run(m, [k(0, 100, 101.2, 100.2, 101), k(1, 101, 101.1, 100.6, 100.9)]);
    expect(acts[0]![0]).toMatchObject({ type: 'move_stop', reason: 'trailing' });
    expect(acts[1]![0]).toMatchObject({ type: 'exit', reason: 'trailing_stop' });
  });

  it('a new stop the candle already closed through becomes an exit at the close', () => {
    const acts = run(manager('long'), [k(0, 100, 101.6, 99.9, 100.9)]); // trail 101.1 > close 100.9
    expect(acts[0]).toEqual([{ type: 'exit', reason: 'trailing_stop', price: 100.9 }]);
  });

  it('setEntryPrice (partial fills) moves the break-even level with the average entry', () => {
    const m = manager('long', {}, wide);
    m.setEntryPrice(100.2);
    expect(m.breakEvenPrice).toBeCloseTo(100.2 * 1.001, 12);
  });

  it('property: the stop only ever moves in the trade\'s favour and exits are consistent', () => {
    fc.assert(fc.property(
      fc.constantFrom<Direction>('long', 'short'),
      fc.array(fc.tuple(fc.double({ min: -0.6, max: 0.6, noNaN: true }), fc.double({ min: 0, max: 0.5, noNaN: true }), fc.double({ min: 0, max: 0.5, noNaN: true }), fc.double({ min: -0.5, max: 0.5, noNaN: true })), { minLength: 1, maxLength: 60 }),
      fc.double({ min: 0.1, max: 2, noNaN: true }),
      (d, steps, trailing) => {
        const m = manager(d, {}, { ...params, trailing_factor: trailing });
        const s = d === 'long' ? 1 : -1;
        let price = 100;
        let stop = m.stop;
        for (let i = 0; i < steps.length; i++) {
          const [gap, up, down, move] = steps[i]!;
          const open = price + gap;
          const close = open + move;
          const c = k(i, open, Math.max(open, close) + up, Math.min(open, close) - down, close);
          const acts = m.onCandle(c, c.ts + M);
          for (const a of acts) {
            if (a.type === 'move_stop') {
              expect(s * (a.stop - stop)).toBeGreaterThan(0);
              expect(s * (c.close - a.stop)).toBeGreaterThan(0); // placeable: still on the loss side of price
              stop = a.stop;
            } else {
              expect(m.exited).toBe(a.reason);
              expect(a.price).toBeGreaterThanOrEqual(c.low);
              expect(a.price).toBeLessThanOrEqual(c.high);
              return;
            }
          }
          expect(m.stop).toBe(stop);
          price = close;
        }
      },
    ));
  });
});

describe('TradeManager: time exit', () => {
  const short10 = { maxDurationMinutes: 10 };
  /** 9 quiet candles, then the 10th closes at `close` (long). */
  const path = (close: number) => [
    ...Array.from({ length: 9 }, (_, i) => k(i, 100, 100.2, 99.8, 100)),
    k(9, 100, 100.3, Math.min(99.6, close), close),
  ];

  it('nothing before the duration has passed', () => {
    const acts = run(manager('long', short10), path(100.2).slice(0, 9));
    expect(acts.flat()).toEqual([]);
  });

  it.each(['long', 'short'] as const)('%s: in profit at the close → time_exit_profit', (d) => {
    const acts = run(manager(d, short10), d === 'long' ? path(100.2) : path(100.2).map(mirror));
    expect(acts[9]).toEqual([{ type: 'exit', reason: 'time_exit_profit', price: d === 'long' ? 100.2 : 99.8 }]);
  });

  it.each(['long', 'short'] as const)('%s: loss below 30 percent of the target → time_exit_small_loss', (d) => {
    // target 2.0, 30 % = 0.6; loss 0.5
    const acts = run(manager(d, short10), d === 'long' ? path(99.5) : path(99.5).map(mirror));
    expect(acts[9]).toEqual([{ type: 'exit', reason: 'time_exit_small_loss', price: d === 'long' ? 99.5 : 100.5 }]);
  });

  it('a bigger loss keeps the trade, and it is re-checked on later candles', () => {
    const m = manager('long', short10);
    const acts = run(m, [...path(99.3), k(10, 99.3, 99.5, 99.2, 99.35), k(11, 99.35, 100.3, 99.3, 100.1)]);
    expect(acts[9]).toEqual([]);
    expect(acts[10]).toEqual([]);
    expect(acts[11]).toEqual([{ type: 'exit', reason: 'time_exit_profit', price: 100.1 }]);
    expect(m.durationMinutes).toBe(12);
  });

  it('a close exactly at entry is not profit but a small loss (0 < 30 % of target)', () => {
    const acts = run(manager('long', short10), path(100));
    expect(acts[9]).toEqual([{ type: 'exit', reason: 'time_exit_small_loss', price: 100 }]);
  });
});

describe('TradeManager: excursions', () => {
  it('tracks MFE/MAE in unlevered %, counting only the exit price on the exit candle', () => {
    const m = manager('long');
    run(m, [k(0, 100, 100.4, 99.5, 100.2), k(1, 100.2, 100.6, 99.8, 100), k(2, 100, 100.1, 98, 98.5)]);
    expect(m.exited).toBe('stop_loss');
    expect(m.mfePercent).toBeCloseTo(0.6, 10);
    expect(m.maePercent).toBeCloseTo(1, 10); // the stop at 99, not the low of 98
    expect(m.durationMinutes).toBe(3);
  });

  it('rejects a target or stop on the wrong side', () => {
    expect(() => manager('long', { takeProfit: 99 })).toThrow(/not on the profit side/);
    expect(() => manager('short', { stopLoss: 99 })).toThrow(/not on the loss side/);
  });
});

describe('TradeManager: exits filled by the venue', () => {
  it('recordExit counts the exit price in the excursions and the duration, and ends management', () => {
    const m = manager('short');
    run(m, [k(0, 100, 100.3, 99.6, 99.8)]);
    m.recordExit(101.2, T0 + 3 * M, 'stop_loss');
    expect(m.exited).toBe('stop_loss');
    expect(m.maePercent).toBeCloseTo(1.2, 10);
    expect(m.mfePercent).toBeCloseTo(0.4, 10);
    expect(m.durationMinutes).toBe(3);
    expect(m.onCandle(k(3, 101, 101, 90, 95), T0 + 4 * M)).toEqual([]);
  });
});
