// Take-profit, stop-loss and leverage of a signal (SPEC §3 "Targets").
import type { CoinConfig, EngineParams } from './params.js';
import type { Direction, Targets } from './types.js';

/**
 * Rounds a leverage the way the briefing asks: ≤ 10 to the nearest whole number, ≤ 25 to a
 * multiple of 5, above to a multiple of 10; at least 1. (12.6 → 15, 27 → 30, 7.4 → 7.)
 */
export function roundLeverage(x: number): number {
  let r: number;
  if (x <= 10) r = Math.round(x);
  else if (x <= 25) r = Math.round(x / 5) * 5;
  else r = Math.round(x / 10) * 10;
  return Math.max(1, r);
}

/** The next lower value on the rounded ladder 1..10, 15, 20, 25, 30, 40, 50, ... (1 stays 1). */
export function stepDownLeverage(l: number): number {
  if (l <= 1) return 1;
  if (l <= 10) return Math.ceil(l) - 1;
  if (l <= 25) return Math.ceil(l / 5) * 5 - 5;
  const down = Math.ceil(l / 10) * 10 - 10;
  return down < 25 ? 25 : down;
}

/** Largest ladder value ≤ cap (cap ≥ 1). A cap between ladder values rounds down: 17 → 15, 35 → 30. */
export function largestLeverageAtMost(cap: number): number {
  let l = roundLeverage(cap);
  while (l > cap && l > 1) l = stepDownLeverage(l);
  return l;
}

/**
 * Targets for an entry at `price` with the mtf ATR.
 * - TP distance = atr × atr_multiplier_tp, SL distance = atr × atr_multiplier_sl.
 * - leverage = target_profit_percent / (TP distance / price × 100), capped at the coin's and the
 *   exchange's maximum, then rounded. When rounding lands above the cap, the leverage is the largest
 *   ladder value under the cap instead (the cap is never exceeded).
 * - Liquidation guard: stepped down the ladder until SL distance / price ≤ liquidation_buffer / leverage.
 * Returns null when no sensible target exists: ATR NaN or ≤ 0, price ≤ 0, a short TP at or below
 * zero, or a stop so wide that even 1× leverage fails the guard.
 */
export function computeTargets(
  direction: Direction,
  price: number,
  atr: number,
  coin: CoinConfig,
  p: EngineParams,
  exchangeMaxLeverage: number,
): Targets | null {
  const cap = Math.min(coin.max_leverage, exchangeMaxLeverage);
  if (!(cap >= 1)) {
    throw new Error(`${coin.symbol}: maximum leverage must be at least 1 (coin max_leverage ${coin.max_leverage}, exchange ${exchangeMaxLeverage})`);
  }
  if (!(atr > 0) || !(price > 0)) return null;
  const tpDistance = atr * coin.atr_multiplier_tp;
  const slDistance = atr * coin.atr_multiplier_sl;
  if (!(tpDistance > 0) || !(slDistance > 0)) return null;
  const sign = direction === 'long' ? 1 : -1;
  const takeProfit = price + sign * tpDistance;
  const stopLoss = price - sign * slDistance;
  if (!(takeProfit > 0) || !(stopLoss > 0)) return null;

  const raw = p.target_profit_percent / ((tpDistance / price) * 100);
  let leverage = roundLeverage(Math.min(raw, cap));
  if (leverage > cap) leverage = largestLeverageAtMost(cap);
  const stopFraction = slDistance / price;
  while (stopFraction > p.liquidation_buffer / leverage) {
    if (leverage === 1) return null;
    leverage = stepDownLeverage(leverage);
  }
  return { tpDistance, slDistance, takeProfit, stopLoss, leverage };
}
