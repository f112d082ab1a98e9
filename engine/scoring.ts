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
  const htf = s.htf_bias === trend ? 1 : s.htf_bias === 'neutral' ? 2 : 0;
  const sweep = long ? s.bullish_sweep : s.bearish_sweep;
  const ob = long ? s.near_bullish_ob : s.near_bearish_ob;
  const fvg = long ? s.in_bullish_fvg : s.in_bearish_fvg;
  // Comparisons with NaN are false, so an RSI still warming up never counts.
  const rsi = long ? s.mtf_rsi < p.rsi_oversold : s.mtf_rsi > p.rsi_overbought;
  const structure = s.market_structure === trend;
  const key = htf | (sweep ? 4 : 0) | (ob ? 8 : 0) | (fvg ? 16 : 0) | (rsi ? 32 : 0) | (structure ? 64 : 0);
  const table = scoresFor(w);
  return table[key] ?? (table[key] = buildScore(key, w));
}

/**
 * The score of every combination of factors, built once per weights object and shared (frozen):
 * this runs on every ltf candle of every coin, and a new list per call was a large share of what a
 * backtest allocated. Weights objects are never changed in place (config overrides build new ones).
 */
const TABLES = new WeakMap<ScoreWeights, (DirectionScore | undefined)[]>();
let lastWeights: ScoreWeights | null = null;
let lastTable: (DirectionScore | undefined)[] = [];

function scoresFor(w: ScoreWeights): (DirectionScore | undefined)[] {
  if (w === lastWeights) return lastTable;
  let t = TABLES.get(w);
  if (!t) TABLES.set(w, (t = new Array<DirectionScore | undefined>(128).fill(undefined)));
  lastWeights = w;
  lastTable = t;
  return t;
}

/** The factors of combination `key` in their fixed order, with their points, capped at 100. */
function buildScore(key: number, w: ScoreWeights): DirectionScore {
  const factors: FactorPoints[] = [];
  let total = 0;
  const add = (factor: FactorName, points: number) => {
    factors.push(Object.freeze({ factor, points }));
    total += points;
  };
  if ((key & 3) === 1) add('htf_aligned', w.htf_aligned);
  if ((key & 3) === 2) add('htf_neutral', w.htf_neutral);
  if (key & 4) add('sweep', w.sweep);
  if (key & 8) add('order_block', w.order_block);
  if (key & 16) add('fvg', w.fvg);
  if (key & 32) add('rsi_extreme', w.rsi_extreme);
  if (key & 64) add('structure', w.structure);
  return Object.freeze({ score: Math.min(MAX_SCORE, total), factors: Object.freeze(factors) as FactorPoints[] });
}
