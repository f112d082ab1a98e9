import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { computeTargets, largestLeverageAtMost, roundLeverage, stepDownLeverage } from '../../../engine/targets.js';
import { DEFAULT_PARAMS, defaultCoinConfig, type CoinConfig } from '../../../engine/params.js';

// A coin with TP = 1 ATR and SL = 1 ATR makes raw leverage = 10 / (atr/price*100) easy to steer.
function coin(over: Partial<CoinConfig> = {}): CoinConfig {
  return { ...defaultCoinConfig('TESTUSDT'), atr_multiplier_tp: 1, atr_multiplier_sl: 1, max_leverage: 100, ...over };
}
/** ATR that makes the raw leverage exactly `lev` at price 100 with target 10 %. */
const atrFor = (lev: number) => 10 / lev;
// Liquidation guard off (stop fraction tiny vs buffer) unless a test asks for it.
const P = { ...DEFAULT_PARAMS, liquidation_buffer: 1e9 };

describe('leverage rounding', () => {
  it.each([
    [7.4, 7], [7.5, 8], [0.3, 1], [10, 10], [10.4, 10], [12.4, 10], [12.6, 15], [22.4, 20], [25, 25], [27, 30], [34, 30], [35, 40],
  ])('%f rounds to %i', (raw, want) => {
    expect(roundLeverage(raw)).toBe(want);
  });

  it('steps down the ladder', () => {
    expect([1, 2, 10, 15, 25, 30, 40, 100].map(stepDownLeverage)).toEqual([1, 1, 9, 10, 20, 25, 30, 90]);
    expect([17, 35, 9.5, 15, 100].map(largestLeverageAtMost)).toEqual([15, 30, 9, 15, 100]);
  });
});

describe('computeTargets', () => {
  it('sets TP and SL from the ATR multipliers for both directions', () => {
    const c = coin({ atr_multiplier_tp: 2, atr_multiplier_sl: 1.2 });
    const l = computeTargets('long', 100, 0.5, c, P, Infinity)!;
    expect(l.tpDistance).toBe(1);
    expect(l.slDistance).toBeCloseTo(0.6, 12);
    expect(l.takeProfit).toBe(101);
    expect(l.stopLoss).toBeCloseTo(99.4, 12);
    const s = computeTargets('short', 100, 0.5, c, P, Infinity)!;
    expect(s.takeProfit).toBe(99);
    expect(s.stopLoss).toBeCloseTo(100.6, 12);
    // raw = 10 / 1 % = 10
    expect(l.leverage).toBe(10);
    expect(s.leverage).toBe(10);
  });

  it.each([[7.4, 7], [12.6, 15], [27, 30]])('raw %f → %i', (raw, want) => {
    expect(computeTargets('long', 100, atrFor(raw), coin(), P, Infinity)!.leverage).toBe(want);
  });

  it('never exceeds the coin cap: cap 15 with raw 17 → 15; cap 17 with raw 17 rounds to 15 (20 would exceed)', () => {
    expect(computeTargets('long', 100, atrFor(17), coin({ max_leverage: 15 }), P, Infinity)!.leverage).toBe(15);
    expect(computeTargets('long', 100, atrFor(17), coin({ max_leverage: 17 }), P, Infinity)!.leverage).toBe(15);
    // cap 28: raw 40 → capped 28 → rounds to 30 > cap → largest ladder value under 28 = 25
    expect(computeTargets('long', 100, atrFor(40), coin({ max_leverage: 28 }), P, Infinity)!.leverage).toBe(25);
  });

  it('the exchange limit caps too', () => {
    expect(computeTargets('short', 100, atrFor(50), coin(), P, 12)!.leverage).toBe(10);
  });

  it('liquidation guard steps down until stop fraction ≤ buffer / leverage', () => {
    // raw 20, stop 2.5 % away: 20× allows 2.5 % exactly (0.5/20) → kept
    const p = { ...DEFAULT_PARAMS, liquidation_buffer: 0.5 };
    const atr = atrFor(20); // 0.5
    expect(computeTargets('long', 100, atr, coin({ atr_multiplier_sl: 5 }), p, Infinity)!.leverage).toBe(20);
    // stop 3 % away: 20 → 15 (0.5/15 = 3.33 % ≥ 3 %)
    expect(computeTargets('long', 100, atr, coin({ atr_multiplier_sl: 6 }), p, Infinity)!.leverage).toBe(15);
    // stop 6 % away: 15 → 10 → 9 → 8 (0.5/8 = 6.25 %)
    expect(computeTargets('short', 100, atr, coin({ atr_multiplier_sl: 12 }), p, Infinity)!.leverage).toBe(8);
    // stop 60 % away: not even 1× passes
    expect(computeTargets('long', 100, atr, coin({ atr_multiplier_sl: 120 }), p, Infinity)).toBeNull();
  });

  it('returns null for a NaN, zero or negative ATR and for a short TP at or below zero', () => {
    for (const atr of [NaN, 0, -1]) expect(computeTargets('long', 100, atr, coin(), P, Infinity)).toBeNull();
    expect(computeTargets('short', 100, 100, coin(), P, Infinity)).toBeNull();
  });

  it('rejects a cap under 1 with a clear message', () => {
    expect(() => computeTargets('long', 100, 1, coin({ max_leverage: 0 }), P, Infinity)).toThrow(/maximum leverage must be at least 1/);
  });

  it('property: leverage is on the ladder, within caps, and passes the guard', () => {
    const ladder = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20, 25, ...Array.from({ length: 20 }, (_, i) => 30 + 10 * i)]);
    fc.assert(fc.property(
      fc.double({ min: 1e-4, max: 50, noNaN: true }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 200 }),
      fc.double({ min: 0.2, max: 5, noNaN: true }),
      (atr, maxLev, exMax, slMult) => {
        const p = { ...DEFAULT_PARAMS };
        const t = computeTargets('long', 100, atr, coin({ max_leverage: maxLev, atr_multiplier_sl: slMult }), p, exMax);
        if (!t) return;
        expect(ladder.has(t.leverage)).toBe(true);
        expect(t.leverage).toBeLessThanOrEqual(Math.min(maxLev, exMax));
        expect(t.slDistance / 100).toBeLessThanOrEqual(p.liquidation_buffer / t.leverage);
      },
    ));
  });
});
