// Finds, in real SOLUSDT candles, a stretch where a session warmed up on WARM candles signals
// within a few candles — the way the runtime warms a coin the universe adds, then streams it.
import { loadCandleFile } from '../../src/data/load.js';
import { TradingSession } from '../../engine/session.js';
import { DEFAULT_PARAMS, coinConfig } from '../../engine/params.js';
import type { Candle } from '../../engine/types.js';
import { dataPath } from '../helpers/data.js';

export const WARM = 4000;
export const LEAD = 3;

export function solCandles(): Candle[] {
  const s = loadCandleFile(dataPath('binance-spot', 'SOLUSDT-1m.csv.gz'));
  return Array.from({ length: s.length }, (_, i) => ({ ts: s.ts[i], open: s.open[i], high: s.high[i], low: s.low[i], close: s.close[i], volume: s.volume[i] }));
}

/** A session like the runtime's: BTCUSDT configured, approve mode (signals wait for a decision). */
export function session(symbols = ['BTCUSDT', 'SOLUSDT']): TradingSession {
  return new TradingSession({
    params: DEFAULT_PARAMS, coins: { SOLUSDT: coinConfig('SOLUSDT') }, symbols, baseTf: '1m',
    autoExecute: false, maxDailyLossPercent: 5, mlMinConfidence: 0,
  });
}

/** Feeds candles [from, to] through onCandle/endStep; the SOLUSDT signals awaiting a decision (candle index, signal time). */
export function play(s: TradingSession, c: Candle[], from: number, to: number): { i: number; time: number }[] {
  const out: { i: number; time: number }[] = [];
  for (let i = from; i <= to; i++) {
    s.onCandle('SOLUSDT', c[i]);
    for (const e of s.endStep(c[i].ts + 60_000).events) if (e.type === 'signal' && e.fate === 'awaiting_approval' && e.signal.symbol === 'SOLUSDT') out.push({ i, time: e.signal.time });
  }
  return out;
}

/** A session warmed on the WARM candles before `start`. */
export function warmed(c: Candle[], start: number, s = session()): TradingSession {
  for (let i = start - WARM; i < start; i++) s.warmUp('SOLUSDT', c[i]);
  return s;
}

/**
 * A signal of the full run (first 20 000 candles, index j) that a session warmed on
 * [start-WARM, start) and fed [start, j+1] reproduces, start = j - LEAD: its first signal's index and time.
 */
export function findSignal(c: Candle[]): { start: number; signalIndex: number; signalTime: number } {
  const full = session();
  const hits: number[] = [];
  for (let i = 0; i < Math.min(c.length, 20_000); i++) {
    full.onCandle('SOLUSDT', c[i]);
    for (const e of full.endStep(c[i].ts + 60_000).events) if (e.type === 'signal' && e.fate === 'awaiting_approval') hits.push(i);
  }
  for (const j of hits.filter((x) => x > WARM + LEAD)) {
    const start = j - LEAD;
    const got = play(warmed(c, start), c, start, j + 1);
    if (got.length) return { start, signalIndex: got[0].i, signalTime: got[0].time };
  }
  throw new Error('no reproducible SOLUSDT signal in the first 20 000 candles');
}
