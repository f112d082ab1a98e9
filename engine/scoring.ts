// Confluence score (SPEC §3): the points each factor earns, for both directions, capped at 100.
import type { EngineParams, ScoreWeights } from './params.js';
import type { Bias, Direction, DirectionScore, FactorName, FactorPoints, FactorSnapshot, ScoreResult } from './types.js';

const MAX_SCORE = 100;

/**
 * Scores one factor snapshot for long and short. Every factor that counted is listed with its
 * points (in a fixed order, so the output is deterministic). RSI NaN (before warm-up) counts nothing.
 */
export function scoreSnapshot(s: FactorSnapshot, w: ScoreWeights, p: EngineParams): ScoreResult {
  return { long: scoreDirection(s, w, p, 'long'), short: scoreDirection(s, w, p, 'short') };
}

function scoreDirection(s: FactorSnapshot, w: ScoreWeights, p: EngineParams, d: Direction): DirectionScore {
  const long = d === 'long';
  const trend: Bias = long ? 'bullish' : 'bearish';
  const htf = s.htf_bias === trend ? 'htf_aligned' : s.htf_bias === 'neutral' ? 'htf_neutral' : null;
  const sweep = long ? s.bullish_sweep : s.bearish_sweep;
  const ob = long ? s.near_bullish_ob : s.near_bearish_ob;
  const fvg = long ? s.in_bullish_fvg : s.in_bearish_fvg;
  // Comparisons with NaN are false, so an RSI still warming up never counts.
  const rsi = long ? s.mtf_rsi < p.rsi_oversold : s.mtf_rsi > p.rsi_overbought;
  const structure = s.market_structure === trend;
  // Runs on every ltf candle of every coin: the list is sized once instead of grown by push.
  const n = (htf !== null ? 1 : 0) + (sweep ? 1 : 0) + (ob ? 1 : 0) + (fvg ? 1 : 0) + (rsi ? 1 : 0) + (structure ? 1 : 0);
  const factors: FactorPoints[] = new Array<FactorPoints>(n);
  let k = 0;
  let total = 0;
  if (htf !== null) total += add(factors, k++, htf, w[htf]);
  if (sweep) total += add(factors, k++, 'sweep', w.sweep);
  if (ob) total += add(factors, k++, 'order_block', w.order_block);
  if (fvg) total += add(factors, k++, 'fvg', w.fvg);
  if (rsi) total += add(factors, k++, 'rsi_extreme', w.rsi_extreme);
  if (structure) total += add(factors, k++, 'structure', w.structure);
  return { score: Math.min(MAX_SCORE, total), factors };
}

function add(factors: FactorPoints[], k: number, factor: FactorName, points: number): number {
  factors[k] = { factor, points };
  return points;
}
