// Confluence score (SPEC §3): the points each factor earns, for both directions, capped at 100.
import type { EngineParams, ScoreWeights } from './params.js';
import type { Bias, Direction, DirectionScore, FactorPoints, FactorSnapshot, ScoreResult } from './types.js';

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
  const factors: FactorPoints[] = [];
  if (s.htf_bias === trend) factors.push({ factor: 'htf_aligned', points: w.htf_aligned });
  else if (s.htf_bias === 'neutral') factors.push({ factor: 'htf_neutral', points: w.htf_neutral });
  if (long ? s.bullish_sweep : s.bearish_sweep) factors.push({ factor: 'sweep', points: w.sweep });
  if (long ? s.near_bullish_ob : s.near_bearish_ob) factors.push({ factor: 'order_block', points: w.order_block });
  if (long ? s.in_bullish_fvg : s.in_bearish_fvg) factors.push({ factor: 'fvg', points: w.fvg });
  // Comparisons with NaN are false, so an RSI still warming up never counts.
  const rsiExtreme = long ? s.mtf_rsi < p.rsi_oversold : s.mtf_rsi > p.rsi_overbought;
  if (rsiExtreme) factors.push({ factor: 'rsi_extreme', points: w.rsi_extreme });
  if (s.market_structure === trend) factors.push({ factor: 'structure', points: w.structure });
  let total = 0;
  for (const f of factors) total += f.points;
  return { score: Math.min(MAX_SCORE, total), factors };
}
