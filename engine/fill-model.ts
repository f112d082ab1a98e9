// Simulated fills for backtest and paper trading (SPEC §3 "Entry execution"). Pure and pluggable:
// the decision core never depends on it; only venues that simulate an exchange use it.
import { feeOf, isBuy, slipped, type CostRates } from './costs.js';
import type { EngineParams } from './params.js';
import type { Candle, Direction } from './types.js';

export interface Fill {
  qty: number;
  price: number;
  fee: number;
  isMaker: boolean;
  /** When the fill is assumed to have happened (ms UTC). */
  time: number;
  orderType: 'limit' | 'market';
}

export type EntryOutcome =
  | { type: 'filled'; fill: Fill }
  | { type: 'missed'; time: number; moved: number }
  | null;

export interface HybridEntryInit {
  direction: Direction;
  /** Signal (reference) price. */
  signalPrice: number;
  qty: number;
  /** TP distance of the signal, the unit of the chase guard. */
  tpDistance: number;
  /** When the limit order rests on the book (the signal candle's close). */
  placedAt: number;
  params: Pick<EngineParams, 'limit_offset' | 'limit_timeout_seconds' | 'chase_max_target_fraction' | 'use_limit_entry'>;
  costs: CostRates;
}

/**
 * The hybrid entry: a limit order `limit_offset` better than the signal price.
 * - It fills only on a base candle that opened at or after `placedAt` and traded THROUGH the limit
 *   (low < limit for a buy, high > limit for a sell; touching does not fill), at the limit price
 *   with the maker fee, timed at that candle's close (when inside it is unknown).
 * - Candles that open before placedAt + limit_timeout_seconds may fill it. On the first candle
 *   opening at or after that deadline, the move since the signal is measured with the last close
 *   seen (the signal price if none): if it moved in the trade's direction by less than
 *   chase_max_target_fraction × tpDistance, a market order fills at this candle's open plus adverse
 *   slippage with the taker fee; otherwise the entry is missed.
 * With use_limit_entry off, the first candle fills a market order at its open.
 */
export class HybridEntry {
  readonly limitPrice: number;
  readonly deadline: number;
  private lastClose: number;
  private done = false;

  constructor(private readonly o: HybridEntryInit) {
    const sign = o.direction === 'long' ? 1 : -1;
    this.limitPrice = o.signalPrice * (1 - sign * o.params.limit_offset);
    this.deadline = o.placedAt + o.params.limit_timeout_seconds * 1000;
    this.lastClose = o.signalPrice;
  }

  get finished(): boolean {
    return this.done;
  }

  onCandle(c: Candle, tfMs: number): EntryOutcome {
    if (this.done || c.ts < this.o.placedAt) return null;
    const { direction, qty, costs } = this.o;
    if (!this.o.params.use_limit_entry) {
      this.done = true;
      return { type: 'filled', fill: marketFill(direction, true, qty, c.open, c.ts, costs) };
    }
    if (c.ts < this.deadline) {
      const through = direction === 'long' ? c.low < this.limitPrice : c.high > this.limitPrice;
      if (through) {
        this.done = true;
        const fill: Fill = {
          qty, price: this.limitPrice, fee: feeOf(qty, this.limitPrice, true, costs), isMaker: true, time: c.ts + tfMs, orderType: 'limit',
        };
        return { type: 'filled', fill };
      }
      this.lastClose = c.close;
      return null;
    }
    this.done = true;
    const moved = (direction === 'long' ? 1 : -1) * (this.lastClose - this.o.signalPrice);
    if (moved >= this.o.params.chase_max_target_fraction * this.o.tpDistance) return { type: 'missed', time: c.ts, moved };
    return { type: 'filled', fill: marketFill(direction, true, qty, c.open, c.ts, costs) };
  }
}

/** A market order at `price` (usually a candle open): adverse slippage and the taker fee. */
export function marketFill(direction: Direction, entry: boolean, qty: number, price: number, time: number, costs: CostRates): Fill {
  const px = slipped(price, isBuy(direction, entry), costs.slippage);
  return { qty, price: px, fee: feeOf(qty, px, false, costs), isMaker: false, time, orderType: 'market' };
}

/**
 * The fill of an exit decided by the trade manager at `price` (the stop, the target, the open of a
 * gapped candle or the close for a time exit). Every exit is a market order: the TP/SL attached to
 * a Bybit position are market triggers by default, so take profits pay the taker fee and the same
 * adverse slippage as stops; closes are reduce-only market orders.
 */
export function exitFill(direction: Direction, qty: number, price: number, time: number, costs: CostRates): Fill {
  return marketFill(direction, false, qty, price, time, costs);
}
