// Timeframes the engine understands, and their UTC-aligned bucket arithmetic.
export const TIMEFRAMES = ['1m', '5m', '15m', '1h', '4h'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

export const TF_MS: Record<Timeframe, number> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
};

export function isTimeframe(s: string): s is Timeframe {
  return (TIMEFRAMES as readonly string[]).includes(s);
}

export function parseTimeframe(s: string): Timeframe {
  if (!isTimeframe(s)) throw new Error(`unknown timeframe "${s}" (allowed: ${TIMEFRAMES.join(', ')})`);
  return s;
}

/** Open time of the bucket of `tf` that contains `ts` (UTC-aligned; epoch is a multiple of 4h). */
export function bucketStart(ts: number, tf: Timeframe): number {
  const ms = TF_MS[tf];
  return ts - (((ts % ms) + ms) % ms);
}

/**
 * Largest multiple of `ms` not above `ts`: bucketStart without the floating-point remainder (fmod is
 * slow). Exact for integer times: an exact multiple divides exactly, and otherwise the quotient is
 * far enough from the next integer that rounding cannot reach it. A non-integer or infinite `ts` never
 * returns itself, so `ts - floorTo(ts, ms) === 0` tests alignment like `ts % ms === 0`.
 */
export function floorTo(ts: number, ms: number): number {
  return Math.floor(ts / ms) * ms;
}

/** A candle opened at `ts` on `tf` is known (closed) at this time. */
export function closeTime(ts: number, tf: Timeframe): number {
  return ts + TF_MS[tf];
}
