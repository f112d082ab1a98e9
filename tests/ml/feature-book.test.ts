// FeatureBook on the real engine and real candles: the features of every candidate signal are
// plausible, do not change when the data goes on past them, and do not depend on the order in
// which the symbols of one minute are fed.
import { describe, expect, it } from 'vitest';
import { SymbolAnalyzer } from '../../engine/analyzer.js';
import { FeatureBook } from '../../engine/feature-tracker.js';
import { featuresToRecord } from '../../engine/features.js';
import { coinConfig, DEFAULT_PARAMS } from '../../engine/params.js';
import type { Candle, CandleSeries } from '../../engine/types.js';
import { loadCandleFile } from '../../src/data/load.js';
import { dataPath } from '../helpers/data.js';

const FROM = Date.UTC(2025, 4, 5);
const DAY = 86_400_000;
const params = { ...DEFAULT_PARAMS, signal_log_min_score: 40 };

function series(symbol: string, days: number): CandleSeries {
  return loadCandleFile(dataPath('binance-usdm', `${symbol}-1m.csv.gz`), { from: FROM, to: FROM + days * DAY });
}

function candleAt(s: CandleSeries, i: number): Candle {
  return { ts: s.ts[i]!, open: s.open[i]!, high: s.high[i]!, low: s.low[i]!, close: s.close[i]!, volume: s.volume[i]! };
}

/** Runs ETH and BTC minute by minute; returns every ETH/BTC candidate signal's features by id. */
function run(days: number, btcFirst: boolean): Map<string, Float64Array> {
  const data = { ETHUSDT: series('ETHUSDT', days), BTCUSDT: series('BTCUSDT', days) };
  const order = (btcFirst ? ['BTCUSDT', 'ETHUSDT'] : ['ETHUSDT', 'BTCUSDT']) as (keyof typeof data)[];
  const analyzers = Object.fromEntries(order.map((s) => [s, new SymbolAnalyzer(s, { ...coinConfig(s), min_confidence: 40 }, params, { baseTf: '1m' })]));
  const book = new FeatureBook({ baseTf: '1m', mtfOf: (s) => coinConfig(s).mtf_timeframe, atrPeriod: params.atr_period, rsiPeriod: params.rsi_period });
  const out = new Map<string, Float64Array>();
  const n = Math.min(data.ETHUSDT.length, data.BTCUSDT.length);
  for (let i = 0; i < n; i++) {
    for (const sym of order) {
      const c = candleAt(data[sym], i);
      const a = analyzers[sym]!;
      book.observe(sym, c); // before the engine raises a signal on this candle
      const ev = a.onBaseCandle(c);
      const sig = ev && a.candidate(ev);
      if (sig) {
        // the book rebuilt the analyzer's mtf ATR and RSI from the base candles
        const snap = book.tracker(sym).snapshot();
        expect(snap.atr).toBe(sig.atr);
        expect(snap.rsi).toBe(a.mtf.rsi);
        out.set(sig.id, book.features(sig));
        // pretend every signal was a trade closing 30 minutes later, won when the price rose for a long
        book.recordTrade(sym, sig.time + 1_800_000, sig.direction === 'long' ? 1 : -1);
      }
    }
  }
  return out;
}

describe('FeatureBook on real candles', () => {
  // the 4h EMA50 of the htf bias needs ~8.5 days before the first signal
  const full = run(13, true);

  it('gives every candidate signal plausible features', () => {
    expect(full.size).toBeGreaterThan(20);
    for (const [id, v] of full) {
      const f = featuresToRecord(v);
      const time = Number(id.split('-').pop());
      expect(f.hour_of_day).toBe(new Date(time).getUTCHours());
      expect(f.atr_percent).toBeGreaterThan(0);
      expect(f.rsi_14).toBeGreaterThanOrEqual(0);
      expect(f.rsi_14).toBeLessThanOrEqual(100);
      expect(f.distance_from_daily_high).toBeGreaterThanOrEqual(0);
      expect(f.distance_from_daily_low).toBeGreaterThanOrEqual(0);
      expect(f.atr_percentile).toBeGreaterThan(0);
      expect(f.atr_percentile).toBeLessThanOrEqual(1);
      expect(f.volume_ratio).toBeGreaterThan(0);
      expect(Number.isFinite(f.btc_change_1h_signed)).toBe(true);
      if (id.startsWith('BTCUSDT')) expect(f.btc_correlation).toBe(1);
      else if (time - FROM > 9 * DAY) expect(Math.abs(f.btc_correlation)).toBeLessThanOrEqual(1);
    }
    const rates = [...full.values()].map((v) => featuresToRecord(v).recent_win_rate_overall);
    expect(new Set(rates).size).toBeGreaterThan(2); // the outcomes fed back in move the win rate
  });

  it('gives the same features to a signal whether the data ends soon after it or goes on', () => {
    const short = run(10.5, true);
    expect(short.size).toBeGreaterThan(5);
    for (const [id, v] of short) expect(Array.from(full.get(id)!), id).toEqual(Array.from(v));
  });

  it('does not depend on whether BTC or the coin is fed first within a minute', () => {
    const other = run(13, false);
    expect([...other.keys()].sort()).toEqual([...full.keys()].sort());
    for (const [id, v] of other) expect(Array.from(full.get(id)!), id).toEqual(Array.from(v));
  });
});
