// Which of the signals raised in one step get executed (SPEC §3 "Signal selection").
import type { Direction, Signal, SignalFate } from './types.js';

export interface OpenPosition {
  symbol: string;
  direction: Direction;
}

export interface SelectionContext {
  /** The coin's min_confidence. */
  minConfidence: (symbol: string) => number;
  /** Positions open (or entries pending) now. */
  openPositions: readonly OpenPosition[];
  /** max_concurrent_trades. */
  maxConcurrent: number;
  /** max_correlation: a correlation strictly above it is too much. */
  maxCorrelation: number;
  /** Correlation of two symbols' 1h returns; NaN (not enough data) counts as uncorrelated. */
  correlation: (a: string, b: string) => number;
  /** Trading paused (chat /pause or a risk lock). */
  paused: boolean;
  /** ML probability (0-100) a signal must reach; 0 = filter off. Signals without a probability pass. */
  mlMinConfidence: number;
}

export interface SelectionDecision {
  signal: Signal;
  fate: SignalFate;
}

/**
 * Gives every candidate exactly one fate. Returned best-ranked first (so entries are opened in
 * rank order). Rank: confidence, then ML probability (none ranks last), then symbol, direction,
 * time and id — fully deterministic.
 *
 * Order of checks, first match wins:
 * 1. below_threshold — confidence under the coin's min_confidence.
 * 2. ml_filter — an ML probability exists and is under mlMinConfidence.
 * 3. paused — trading is paused (only signals that would otherwise qualify are marked paused).
 * Then, walking the rest in rank order against open positions plus the signals accepted so far:
 * 4. position_open — the symbol has a position or a better-ranked accepted signal.
 * 5. correlated — correlation above maxCorrelation with an open position or accepted signal of
 *    the SAME direction.
 * 6. max_positions — open + accepted already reach maxConcurrent.
 * 7. executed.
 */
export function selectSignals(candidates: readonly Signal[], ctx: SelectionContext): SelectionDecision[] {
  const ranked = [...candidates].sort(compareRank);
  const out: SelectionDecision[] = [];
  const taken: OpenPosition[] = [...ctx.openPositions];
  for (const signal of ranked) out.push({ signal, fate: fateOf(signal, ctx, taken) });
  return out;
}

function fateOf(s: Signal, ctx: SelectionContext, taken: OpenPosition[]): SignalFate {
  if (s.confidence < ctx.minConfidence(s.symbol)) return 'below_threshold';
  if (ctx.mlMinConfidence > 0 && s.mlProbability !== null && s.mlProbability < ctx.mlMinConfidence) return 'ml_filter';
  if (ctx.paused) return 'paused';
  if (taken.some((p) => p.symbol === s.symbol)) return 'position_open';
  const correlated = taken.some(
    (p) => p.direction === s.direction && ctx.correlation(s.symbol, p.symbol) > ctx.maxCorrelation,
  );
  if (correlated) return 'correlated';
  if (taken.length >= ctx.maxConcurrent) return 'max_positions';
  taken.push({ symbol: s.symbol, direction: s.direction });
  return 'executed';
}

/** Best first. */
export function compareRank(a: Signal, b: Signal): number {
  if (a.confidence !== b.confidence) return b.confidence - a.confidence;
  const ma = mlRank(a.mlProbability);
  const mb = mlRank(b.mlProbability);
  if (ma !== mb) return mb > ma ? 1 : -1;
  return cmp(a.symbol, b.symbol) || cmp(a.direction, b.direction) || a.time - b.time || cmp(a.id, b.id);
}

function mlRank(p: number | null): number {
  return p !== null && Number.isFinite(p) ? p : -Infinity;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
