import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { exitFill, HybridEntry, marketFill, type HybridEntryInit } from '../../../engine/fill-model.js';
import { feeOf, FUNDING_INTERVAL_MS, fundingPayment, fundingTimes, slipped, type CostRates } from '../../../engine/costs.js';
import { Portfolio } from '../../../engine/portfolio.js';
import { DEFAULT_PARAMS } from '../../../engine/params.js';
import type { Candle, Direction } from '../../../engine/types.js';

const M = 60_000;
const H = 3_600_000;
const T0 = 1_700_006_400_000; // a multiple of 1 minute
const k = (i: number, open: number, high: number, low: number, close: number): Candle => ({ ts: T0 + i * M, open, high, low, close, volume: 1 });
const costs: CostRates = { maker_fee: 0.0002, taker_fee: 0.00055, slippage: 0.0002, funding_rate: 0.0001 };

/** Signal at 100 placed at T0, limit 99.9 (long) / 100.1 (short), timeout 120 s, TP distance 2 (guard 0.5). */
function entry(direction: Direction, over: Partial<HybridEntryInit['params']> = {}): HybridEntry {
  return new HybridEntry({
    direction, signalPrice: 100, qty: 2, tpDistance: 2, placedAt: T0, costs,
    params: { ...DEFAULT_PARAMS, limit_offset: 0.001, limit_timeout_seconds: 120, chase_max_target_fraction: 0.25, use_limit_entry: true, ...over },
  });
}
const mirror = (c: Candle): Candle => ({ ...c, open: 200 - c.open, high: 200 - c.low, low: 200 - c.high, close: 200 - c.close });

describe('HybridEntry', () => {
  it.each(['long', 'short'] as const)('%s: limit fills only when price trades through it, at the limit with the maker fee', (d) => {
    const e = entry(d);
    const touch = k(0, 100, 100.2, 99.9, 100); // touches 99.9 exactly: no fill
    const through = k(1, 100, 100.1, 99.85, 99.95);
    const m = d === 'long' ? (c: Candle) => c : mirror;
    expect(e.onCandle(m(touch), M)).toBeNull();
    const out = e.onCandle(m(through), M);
    const limit = d === 'long' ? 99.9 : 100.1;
    expect(e.limitPrice).toBeCloseTo(limit, 12);
    expect(out).toEqual({ type: 'filled', fill: { qty: 2, price: e.limitPrice, fee: 2 * e.limitPrice * 0.0002, isMaker: true, time: T0 + 2 * M, orderType: 'limit' } });
    expect(e.onCandle(m(through), M)).toBeNull(); // finished
  });

  it('ignores candles that opened before the order was placed', () => {
    const e = entry('long');
    expect(e.onCandle({ ...k(-1, 100, 100, 90, 95) }, M)).toBeNull();
    expect(e.finished).toBe(false);
  });

  it.each(['long', 'short'] as const)('%s: at the timeout chases with a market order at the next open + slippage (taker)', (d) => {
    const e = entry(d);
    const path = [k(0, 100, 100.3, 99.95, 100.2), k(1, 100.2, 100.45, 100.1, 100.4), k(2, 100.5, 100.6, 100.3, 100.5)];
    const m = d === 'long' ? (c: Candle) => c : mirror;
    expect(e.onCandle(m(path[0]!), M)).toBeNull();
    expect(e.onCandle(m(path[1]!), M)).toBeNull();
    const out = e.onCandle(m(path[2]!), M); // moved 0.4 < 0.5 guard
    const open = d === 'long' ? 100.5 : 99.5;
    const px = d === 'long' ? open * 1.0002 : open * 0.9998;
    expect(out).toEqual({ type: 'filled', fill: { qty: 2, price: px, fee: 2 * px * 0.00055, isMaker: false, time: T0 + 2 * M, orderType: 'market' } });
  });

  it.each(['long', 'short'] as const)('%s: price ran away by ≥ 25 %% of the target → entry missed', (d) => {
    const e = entry(d);
    const path = [k(0, 100, 100.3, 99.95, 100.2), k(1, 100.2, 100.6, 100.1, 100.5), k(2, 100.5, 100.6, 100.3, 100.5)];
    const m = d === 'long' ? (c: Candle) => c : mirror;
    e.onCandle(m(path[0]!), M);
    e.onCandle(m(path[1]!), M);
    expect(e.onCandle(m(path[2]!), M)).toEqual({ type: 'missed', time: T0 + 2 * M, moved: expect.closeTo(0.5, 10) });
  });

  it('a move against the trade is chased (the limit was simply not reached)', () => {
    const e = entry('long', { limit_offset: 0.01 }); // limit 99
    e.onCandle(k(0, 100, 100.1, 99.5, 99.6), M);
    e.onCandle(k(1, 99.6, 99.7, 99.2, 99.3), M);
    expect(e.onCandle(k(2, 99.3, 99.4, 99.1, 99.2), M)).toMatchObject({ type: 'filled', fill: { orderType: 'market' } });
  });

  it('without limit entries the first candle fills at market', () => {
    const e = entry('short', { use_limit_entry: false });
    expect(e.onCandle(k(0, 100, 101, 99, 100), M)).toMatchObject({ type: 'filled', fill: { price: 100 * 0.9998, orderType: 'market' } });
  });
});

describe('market and exit fills', () => {
  it('adverse slippage: buyers pay more, sellers get less; taker fee on the slipped price', () => {
    expect(marketFill('long', true, 1, 100, 0, costs).price).toBeCloseTo(100.02, 12);
    expect(marketFill('short', true, 1, 100, 0, costs).price).toBeCloseTo(99.98, 12);
    const x = exitFill('long', 3, 102, 5, costs); // a long TP sells
    expect(x).toEqual({ qty: 3, price: 102 * 0.9998, fee: 3 * 102 * 0.9998 * 0.00055, isMaker: false, time: 5, orderType: 'market' });
    expect(exitFill('short', 1, 101, 0, costs).price).toBeCloseTo(101 * 1.0002, 12); // a short stop buys
    expect(slipped(100, true, 0)).toBe(100);
    expect(feeOf(2, 50, true, costs)).toBeCloseTo(0.02, 12);
  });
});

describe('funding', () => {
  it('settles at 00:00, 08:00, 16:00 UTC, in (from, to]', () => {
    const day = Date.UTC(2024, 0, 1);
    expect(fundingTimes(day, day + 24 * H)).toEqual([day + 8 * H, day + 16 * H, day + 24 * H]);
    expect(fundingTimes(day - 1, day)).toEqual([day]);
    expect(fundingTimes(day + H, day + 7 * H)).toEqual([]);
    for (const t of fundingTimes(day + 1234, day + 5 * 24 * H)) expect(new Date(t).getUTCHours() % 8).toBe(0);
    expect(FUNDING_INTERVAL_MS).toBe(8 * H);
  });

  it('longs pay and shorts receive a positive rate', () => {
    expect(fundingPayment('long', 2, 100, 0.0001)).toBeCloseTo(0.02, 12);
    expect(fundingPayment('short', 2, 100, 0.0001)).toBeCloseTo(-0.02, 12);
    expect(fundingPayment('long', 2, 100, -0.0001)).toBeCloseTo(-0.02, 12);
  });
});

describe('Portfolio', () => {
  const fill = (qty: number, price: number, fee: number, time = 0) => ({ qty, price, fee, isMaker: false, time, orderType: 'market' as const });

  it('books entry, funding and exit to the trade: net = gross − fees − funding = equity change', () => {
    const p = new Portfolio(1000);
    p.applyEntry('t1', 'BTC', 'long', 10, fill(1, 100, 0.1, 0));
    expect(p.usedMargin).toBe(10);
    expect(p.equity).toBeCloseTo(999.9, 12);
    expect(p.available).toBeCloseTo(989.9, 12);
    expect(p.markedEquity(() => 105)).toBeCloseTo(1004.9, 12);
    expect(p.settleFunding(8 * H, 0.0001, () => 100)).toBeCloseTo(0.01, 12);
    const c = p.applyExit('t1', fill(1, 102, 0.2, 9 * H))!;
    expect(c.realized).toBeCloseTo(2, 12);
    expect(c.netPnl).toBeCloseTo(2 - 0.3 - 0.01, 12);
    expect(p.equity - 1000).toBeCloseTo(c.netPnl, 12);
    expect(p.usedMargin).toBe(0);
    expect(p.accountingError()).toBeCloseTo(0, 12);
  });

  it('short PnL, partial entries average and partial exits stay open', () => {
    const p = new Portfolio(1000);
    p.applyEntry('s', 'ETH', 'short', 5, fill(1, 100, 0, 0));
    p.applyEntry('s', 'ETH', 'short', 5, fill(1, 102, 0, 60_000));
    expect(p.position('s')!.entryPrice).toBe(101);
    expect(p.applyExit('s', fill(0.5, 99, 0))).toBeNull();
    const c = p.applyExit('s', fill(1.5, 100, 0))!;
    expect(c.realized).toBeCloseTo(0.5 * 2 + 1.5 * 1, 12);
    expect(c.avgEntry).toBe(101);
    expect(c.avgExit).toBeCloseTo(99.75, 12);
  });

  it('funding skips a position opened at or after the settlement', () => {
    const p = new Portfolio(1000);
    p.applyEntry('a', 'BTC', 'long', 10, fill(1, 100, 0, 8 * H));
    expect(p.settleFunding(8 * H, 0.001, () => 100)).toBe(0);
    expect(p.settleFunding(16 * H, 0.001, () => 100)).toBeCloseTo(0.1, 12);
  });

  it('refuses an entry the margin cannot carry and a bad exit, with clear messages', () => {
    const p = new Portfolio(100);
    expect(() => p.applyEntry('x', 'BTC', 'long', 2, fill(3, 100, 0))).toThrow(/margin 150.00 \+ fee 0.00 exceeds available 100.00/);
    expect(() => p.applyExit('nope', fill(1, 1, 0))).toThrow(/no open position/);
    p.applyEntry('y', 'BTC', 'long', 10, fill(1, 100, 0));
    expect(() => p.applyExit('y', fill(2, 100, 0))).toThrow(/must be > 0 and ≤ open 1/);
  });

  it('property: sum of trade net PnL always equals equity − initial', () => {
    const op = fc.record({
      sym: fc.constantFrom('A', 'B', 'C'), dir: fc.constantFrom<Direction>('long', 'short'),
      px: fc.double({ min: 1, max: 200, noNaN: true }), qty: fc.double({ min: 0.01, max: 2, noNaN: true }),
      fee: fc.double({ min: 0, max: 0.5, noNaN: true }), act: fc.constantFrom('open', 'close', 'partial', 'fund'),
    });
    fc.assert(fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const p = new Portfolio(1e6);
      let t = 0;
      for (const o of ops) {
        t += H;
        const pos = p.position(o.sym);
        if (o.act === 'open' && !pos) p.applyEntry(o.sym, o.sym, o.dir, 10, fill(o.qty, o.px, o.fee, t));
        else if (o.act === 'close' && pos) p.applyExit(o.sym, fill(pos.qty, o.px, o.fee, t));
        else if (o.act === 'partial' && pos) p.applyExit(o.sym, fill(pos.qty / 2, o.px, o.fee, t));
        else if (o.act === 'fund') p.settleFunding(t, 0.0003, () => o.px);
        expect(Math.abs(p.accountingError())).toBeLessThan(1e-6);
      }
      const closedSum = p.closed.reduce((a, c) => a + c.netPnl, 0);
      if (p.openPositions().length === 0) expect(closedSum).toBeCloseTo(p.equity - 1e6, 6);
    }));
  });
});
