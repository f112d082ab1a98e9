import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { scoreSnapshot } from '../../../engine/scoring.js';
import { DEFAULT_PARAMS, DEFAULT_WEIGHTS } from '../../../engine/params.js';
import type { FactorSnapshot } from '../../../engine/types.js';

const none: FactorSnapshot = {
  htf_bias: 'bearish', near_bullish_ob: false, near_bearish_ob: false, in_bullish_fvg: false,
  in_bearish_fvg: false, bullish_sweep: false, bearish_sweep: false, mtf_rsi: 50, market_structure: 'bearish',
};

describe('scoreSnapshot', () => {
  it('counts every bullish factor for the long side with its points', () => {
    const s: FactorSnapshot = {
      ...none, htf_bias: 'bullish', near_bullish_ob: true, in_bullish_fvg: true, bullish_sweep: true,
      mtf_rsi: 25, market_structure: 'bullish',
    };
    const r = scoreSnapshot(s, DEFAULT_WEIGHTS, DEFAULT_PARAMS);
    // 25 + 20 + 20 + 15 + 10 + 10 = 100
    expect(r.long.score).toBe(100);
    expect(r.long.factors).toEqual([
      { factor: 'htf_aligned', points: 25 }, { factor: 'sweep', points: 20 }, { factor: 'order_block', points: 20 },
      { factor: 'fvg', points: 15 }, { factor: 'rsi_extreme', points: 10 }, { factor: 'structure', points: 10 },
    ]);
    expect(r.short).toEqual({ score: 0, factors: [] });
  });

  it('mirrors for the short side', () => {
    const s: FactorSnapshot = { ...none, near_bearish_ob: true, bearish_sweep: true, mtf_rsi: 75 };
    const r = scoreSnapshot(s, DEFAULT_WEIGHTS, DEFAULT_PARAMS);
    expect(r.short.score).toBe(25 + 20 + 20 + 10 + 10);
    expect(r.short.factors.map((f) => f.factor)).toEqual(['htf_aligned', 'sweep', 'order_block', 'rsi_extreme', 'structure']);
    expect(r.long.score).toBe(0);
  });

  it('gives the neutral htf points to both directions', () => {
    const r = scoreSnapshot({ ...none, htf_bias: 'neutral', market_structure: 'neutral' }, DEFAULT_WEIGHTS, DEFAULT_PARAMS);
    expect(r.long).toEqual({ score: 10, factors: [{ factor: 'htf_neutral', points: 10 }] });
    expect(r.short).toEqual({ score: 10, factors: [{ factor: 'htf_neutral', points: 10 }] });
  });

  it('RSI counts only strictly beyond the thresholds and never when NaN', () => {
    const at30 = scoreSnapshot({ ...none, mtf_rsi: 30 }, DEFAULT_WEIGHTS, DEFAULT_PARAMS);
    expect(at30.long.factors.some((f) => f.factor === 'rsi_extreme')).toBe(false);
    const at70 = scoreSnapshot({ ...none, mtf_rsi: 70 }, DEFAULT_WEIGHTS, DEFAULT_PARAMS);
    expect(at70.short.factors.some((f) => f.factor === 'rsi_extreme')).toBe(false);
    const nan = scoreSnapshot({ ...none, mtf_rsi: NaN }, DEFAULT_WEIGHTS, DEFAULT_PARAMS);
    expect(nan.long.factors.some((f) => f.factor === 'rsi_extreme')).toBe(false);
    expect(nan.short.factors.some((f) => f.factor === 'rsi_extreme')).toBe(false);
  });

  it('caps at 100 with heavier weights and uses the given weights', () => {
    const w = { ...DEFAULT_WEIGHTS, sweep: 60, order_block: 60 };
    const r = scoreSnapshot({ ...none, htf_bias: 'bullish', bullish_sweep: true, near_bullish_ob: true }, w, DEFAULT_PARAMS);
    expect(r.long.score).toBe(100);
    expect(r.long.factors.find((f) => f.factor === 'sweep')?.points).toBe(60);
  });

  it('property: score = min(100, sum of listed points), each side independent', () => {
    const bias = fc.constantFrom('bullish', 'bearish', 'neutral') as fc.Arbitrary<'bullish' | 'bearish' | 'neutral'>;
    fc.assert(fc.property(
      fc.record({
        htf_bias: bias, near_bullish_ob: fc.boolean(), near_bearish_ob: fc.boolean(), in_bullish_fvg: fc.boolean(),
        in_bearish_fvg: fc.boolean(), bullish_sweep: fc.boolean(), bearish_sweep: fc.boolean(),
        mtf_rsi: fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.constant(NaN)), market_structure: bias,
      }),
      (s) => {
        const r = scoreSnapshot(s, DEFAULT_WEIGHTS, DEFAULT_PARAMS);
        for (const d of [r.long, r.short]) {
          expect(d.score).toBe(Math.min(100, d.factors.reduce((a, f) => a + f.points, 0)));
          expect(d.factors.filter((f) => f.factor === 'htf_aligned' || f.factor === 'htf_neutral').length).toBeLessThanOrEqual(1);
        }
        expect(r.long.factors.some((f) => f.factor === 'order_block')).toBe(s.near_bullish_ob);
        expect(r.short.factors.some((f) => f.factor === 'fvg')).toBe(s.in_bearish_fvg);
      },
    ));
  });
});
