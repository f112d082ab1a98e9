// Trading costs the simulated broker charges (backtest and paper): fees, adverse slippage, funding.
import type { Direction } from './types.js';

export const FUNDING_INTERVAL_MS = 8 * 3_600_000;

export interface CostRates {
  maker_fee: number;
  taker_fee: number;
  /** Adverse slippage on market fills as a fraction of price. */
  slippage: number;
  /** Funding rate per 8h on notional; longs pay when positive. 0 disables. */
  funding_rate: number;
}

/** Fee on a fill. */
export function feeOf(qty: number, price: number, maker: boolean, r: Pick<CostRates, 'maker_fee' | 'taker_fee'>): number {
  return qty * price * (maker ? r.maker_fee : r.taker_fee);
}

/**
 * Market fill price after adverse slippage. `buy` is true for a long entry or a short exit:
 * buyers pay more, sellers get less.
 */
export function slipped(price: number, buy: boolean, slippage: number): number {
  return price * (buy ? 1 + slippage : 1 - slippage);
}

/** Whether the order that opens (`entry`) or closes a position of `direction` is a buy. */
export function isBuy(direction: Direction, entry: boolean): boolean {
  return (direction === 'long') === entry;
}

/**
 * Funding paid at one settlement on `qty` at mark `price`: positive = the position pays (a long
 * when the rate is positive), negative = it receives.
 */
export function fundingPayment(direction: Direction, qty: number, price: number, rate: number): number {
  return (direction === 'long' ? 1 : -1) * qty * price * rate;
}
