import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  computeFeatures,
  FEATURE_COUNT,
  FEATURE_SCHEMA,
  featuresToRecord,
  recordToFeatures,
  utcWeekday,
  type FeatureContext,
  type FeatureName,
} from '../../engine/features.js';

// Saturday 2024-01-06 13:00 UTC
const SAT_13H = Date.UTC(2024, 0, 6, 13, 0);

function ctx(over: Partial<FeatureContext> = {}): FeatureContext {
  return {
    time: SAT_13H,
    direction: 'long',
    price: 100,
    confidence: 70,
    htfBias: 'bullish',
    hasOrderBlock: true,
    hasFvg: false,
    hasSweep: true,
    market: {
      atr: 2,
      atrPercentile: 0.8,
      atrMean: 1.6,
      rsi: 28,
      divergence: 1,
      volume: 300,
      volumeSma: 200,
      dayHigh: 104,
      dayLow: 97,
    },
    btc: { correlation: 0.75, change1h: 0.01, change4h: -0.02 },
    recentWinRateCoin: 0.6,
    recentWinRateOverall: 0.45,
    ...over,
  };
}

function byName(v: Float64Array): Record<FeatureName, number> {
  return featuresToRecord(v);
}

describe('computeFeatures', () => {
  it('computes every feature of a hand-built long context', () => {
    const f = byName(computeFeatures(ctx()));
    expect(f.confidence_score).toBe(70);
    expect(f.htf_alignment).toBe(1);
    expect(f.is_long).toBe(1);
    expect(f.has_order_block).toBe(1);
    expect(f.has_fvg).toBe(0);
    expect(f.has_liquidity_sweep).toBe(1);
    expect(f.atr_percent).toBeCloseTo(2, 12);
    expect(f.atr_percentile).toBe(0.8);
    expect(f.volatility_ratio).toBeCloseTo(1.25, 12);
    expect(f.btc_correlation).toBe(0.75);
    expect(f.btc_change_1h_signed).toBeCloseTo(1, 12);
    expect(f.btc_change_4h_signed).toBeCloseTo(-2, 12);
    expect(f.rsi_14).toBe(28);
    expect(f.rsi_divergence).toBe(1);
    expect(f.volume_ratio).toBeCloseTo(1.5, 12);
    expect(f.hour_of_day).toBe(13);
    expect(f.day_of_week).toBe(5);
    expect(f.is_weekend).toBe(1);
    expect(f.distance_from_daily_high).toBeCloseTo(0.04, 12);
    expect(f.distance_from_daily_low).toBeCloseTo(0.03, 12);
    expect(f.recent_win_rate_this_coin).toBe(0.6);
    expect(f.recent_win_rate_overall).toBe(0.45);
  });

  it('turns the direction-aware features around for a short and leaves raw context alone', () => {
    const long = byName(computeFeatures(ctx()));
    const short = byName(computeFeatures(ctx({ direction: 'short' })));
    expect(short.is_long).toBe(0);
    expect(short.htf_alignment).toBe(-1); // bullish htf against a short
    expect(short.btc_change_1h_signed).toBeCloseTo(-1, 12);
    expect(short.btc_change_4h_signed).toBeCloseTo(2, 12);
    expect(short.rsi_divergence).toBe(-1); // a bullish divergence works against a short
    for (const raw of ['rsi_14', 'atr_percent', 'volume_ratio', 'distance_from_daily_high', 'btc_correlation'] as const) {
      expect(short[raw]).toBe(long[raw]);
    }
  });

  it('scores a neutral htf bias 0 and a bearish bias +1 for a short', () => {
    expect(byName(computeFeatures(ctx({ htfBias: 'neutral' }))).htf_alignment).toBe(0);
    expect(byName(computeFeatures(ctx({ htfBias: 'bearish', direction: 'short' }))).htf_alignment).toBe(1);
  });

  it('reads hour and weekday in UTC at the signal time', () => {
    const wed = byName(computeFeatures(ctx({ time: Date.UTC(2024, 0, 3, 23, 55) })));
    expect(wed.hour_of_day).toBe(23);
    expect(wed.day_of_week).toBe(2);
    expect(wed.is_weekend).toBe(0);
    const sunMidnight = byName(computeFeatures(ctx({ time: Date.UTC(2024, 0, 7, 0, 0) })));
    expect(sunMidnight.hour_of_day).toBe(0);
    expect(sunMidnight.day_of_week).toBe(6);
    expect(sunMidnight.is_weekend).toBe(1);
    expect(utcWeekday(Date.UTC(2024, 0, 8))).toBe(0); // a Monday
  });

  it('marks unknown context as missing (NaN) instead of inventing numbers', () => {
    const f = byName(
      computeFeatures(
        ctx({
          market: { ...ctx().market, atr: NaN, atrPercentile: NaN, atrMean: NaN, volumeSma: NaN, dayHigh: NaN, dayLow: NaN, rsi: NaN },
          btc: { correlation: NaN, change1h: NaN, change4h: NaN },
        }),
      ),
    );
    for (const k of ['atr_percent', 'atr_percentile', 'volatility_ratio', 'volume_ratio', 'distance_from_daily_high',
      'distance_from_daily_low', 'rsi_14', 'btc_correlation', 'btc_change_1h_signed', 'btc_change_4h_signed'] as const) {
      expect(f[k], k).toBeNaN();
    }
    expect(byName(computeFeatures(ctx({ market: { ...ctx().market, volumeSma: 0 } }))).volume_ratio).toBeNaN();
  });

  it('refuses bad input with a message naming the field', () => {
    expect(() => computeFeatures(ctx({ price: 0 }))).toThrow(/price must be a positive number/);
    expect(() => computeFeatures(ctx({ time: NaN }))).toThrow(/time must be a finite number/);
    expect(() => computeFeatures(ctx({ confidence: Infinity }))).toThrow(/confidence/);
    expect(() => computeFeatures(ctx({ recentWinRateCoin: 1.5 }))).toThrow(/recentWinRateCoin must be a win rate/);
    expect(() => computeFeatures(ctx({ direction: 'up' as never }))).toThrow(/direction must be "long" or "short"/);
  });
});

describe('feature schema', () => {
  it('has unique names and the vector has one value per name', () => {
    expect(new Set(FEATURE_SCHEMA.names).size).toBe(FEATURE_SCHEMA.names.length);
    expect(computeFeatures(ctx()).length).toBe(FEATURE_COUNT);
  });

  it('matches ml/feature_schema.json, which the Python trainer reads', () => {
    const file = JSON.parse(readFileSync(join(import.meta.dirname, '../../ml/feature_schema.json'), 'utf8'));
    expect(file).toEqual({ version: FEATURE_SCHEMA.version, names: [...FEATURE_SCHEMA.names] });
  });

  it('round-trips through a record, with null as missing, and refuses foreign names', () => {
    const v = computeFeatures(ctx());
    expect(Array.from(recordToFeatures(featuresToRecord(v)))).toEqual(Array.from(v));
    const rec: Record<string, number | null> = { ...featuresToRecord(v), rsi_14: null };
    expect(recordToFeatures(rec)[FEATURE_SCHEMA.names.indexOf('rsi_14')]).toBeNaN();
    expect(() => recordToFeatures({ ...featuresToRecord(v), funding_rate: 1 })).toThrow(/not in schema v1: funding_rate/);
    expect(() => featuresToRecord(new Float64Array(3))).toThrow(/has 3 values, schema v1 has 22/);
  });
});
