// Small builders for hand-made candle sequences and a runner that records what a TimeframeState emits.
import { DEFAULT_PARAMS, type EngineParams } from '../../../engine/params.js';
import { TF_MS, type Timeframe } from '../../../engine/timeframe.js';
import { TimeframeState, type SmcRecord, type TimeframeStateOptions } from '../../../engine/smc/timeframe-state.js';
import type { Candle } from '../../../engine/types.js';

export const T0 = Date.UTC(2024, 0, 1);

/** Candles from [open, high, low, close] rows, one `tf` apart starting at T0 (volume 1). */
export function bars(rows: [number, number, number, number][], tf: Timeframe = '15m', start = T0): Candle[] {
  return rows.map(([open, high, low, close], i) => ({ ts: start + i * TF_MS[tf], open, high, low, close, volume: 1 }));
}

/** A candle row by its high and low only (open/close inside, doji-like: open = close = mid). */
export function hl(high: number, low: number): [number, number, number, number] {
  const m = (high + low) / 2;
  return [m, high, low, m];
}

export interface Emitted {
  /** Close time of the candle during whose update the record was emitted. */
  at: number;
  /** A deep copy taken at emission (later mutation such as mitigatedAt does not show). */
  rec: SmcRecord;
}

export function params(over: Partial<EngineParams> = {}): EngineParams {
  return { ...DEFAULT_PARAMS, ...over };
}

export function run(
  candles: Candle[],
  over: Partial<EngineParams> = {},
  opts: Omit<TimeframeStateOptions, 'sink'> = { structures: true, sweeps: true },
  tf: Timeframe = '15m',
): { state: TimeframeState; out: Emitted[] } {
  const out: Emitted[] = [];
  let at = NaN;
  const state = new TimeframeState(tf, params(over), { ...opts, sink: (r) => out.push({ at, rec: structuredClone(r) }) });
  for (const c of candles) {
    at = c.ts + TF_MS[tf];
    state.update(c);
  }
  return { state, out };
}

/** Records of one type, unwrapped. */
export function ofType<T extends SmcRecord['type']>(out: Emitted[], type: T): Extract<SmcRecord, { type: T }>[] {
  return out.map((e) => e.rec).filter((r): r is Extract<SmcRecord, { type: T }> => r.type === type);
}

/** The same candles reflected around `axis` (price p → axis - p): bullish becomes bearish. */
export function mirror(candles: Candle[], axis = 200): Candle[] {
  return candles.map((c) => ({ ...c, open: axis - c.open, high: axis - c.low, low: axis - c.high, close: axis - c.close }));
}

/** Open time of bar i of a sequence built by `bars` (no gaps). */
export const barTs = (i: number, tf: Timeframe = '15m') => T0 + i * TF_MS[tf];
/** Close time of bar i. */
export const barClose = (i: number, tf: Timeframe = '15m') => T0 + (i + 1) * TF_MS[tf];
