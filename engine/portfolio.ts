// One account shared by all coins (backtest and paper): equity, margin in use, open positions,
// fees, funding and realized PnL. Every cost is booked to the trade it belongs to, so
// sum(trade net PnL) = equity − initial equity at all times.
import { fundingPayment } from './costs.js';
import type { Fill } from './fill-model.js';
import type { Direction } from './types.js';

export interface PositionState {
  id: string;
  symbol: string;
  direction: Direction;
  leverage: number;
  /** Open quantity. */
  qty: number;
  /** Average entry price of the open quantity. */
  entryPrice: number;
  openedAt: number;
  /** Quantity ever filled on entry. */
  filledQty: number;
  entryCost: number;
  exitQty: number;
  exitCost: number;
  fees: number;
  funding: number;
  /** Gross PnL of the closed part. */
  realized: number;
}

export interface ClosedPosition extends PositionState {
  closedAt: number;
  avgEntry: number;
  avgExit: number;
  /** realized − fees − funding. */
  netPnl: number;
}

export class Portfolio {
  private cash: number;
  private readonly open = new Map<string, PositionState>();
  readonly closed: ClosedPosition[] = [];
  feesPaid = 0;
  fundingPaid = 0;

  constructor(readonly initialEquity: number) {
    if (!(initialEquity > 0)) throw new Error(`initial equity must be > 0 (got ${initialEquity})`);
    this.cash = initialEquity;
  }

  /** Realized equity: initial + realized PnL − fees − funding (open positions at cost). */
  get equity(): number {
    return this.cash;
  }

  get usedMargin(): number {
    let m = 0;
    for (const p of this.open.values()) m += (p.qty * p.entryPrice) / p.leverage;
    return m;
  }

  get available(): number {
    return this.cash - this.usedMargin;
  }

  position(id: string): PositionState | undefined {
    return this.open.get(id);
  }

  openPositions(): PositionState[] {
    return [...this.open.values()];
  }

  /** Equity with open positions marked at the given prices. */
  markedEquity(priceOf: (symbol: string) => number): number {
    let e = this.cash;
    for (const p of this.open.values()) e += (p.direction === 'long' ? 1 : -1) * (priceOf(p.symbol) - p.entryPrice) * p.qty;
    return e;
  }

  /** An entry fill (first or partial) of position `id`. Refuses one the free margin cannot carry. */
  applyEntry(id: string, symbol: string, direction: Direction, leverage: number, f: Fill): PositionState {
    if (!(f.qty > 0) || !(f.price > 0)) throw new Error(`entry fill of ${id}: qty and price must be > 0 (got ${f.qty} @ ${f.price})`);
    if (!(leverage >= 1)) throw new Error(`entry fill of ${id}: leverage must be ≥ 1 (got ${leverage})`);
    const margin = (f.qty * f.price) / leverage;
    if (margin + f.fee > this.available + 1e-9) {
      throw new Error(`entry fill of ${id}: margin ${margin.toFixed(2)} + fee ${f.fee.toFixed(2)} exceeds available ${this.available.toFixed(2)}`);
    }
    let p = this.open.get(id);
    if (!p) {
      p = {
        id, symbol, direction, leverage, qty: 0, entryPrice: 0, openedAt: f.time, filledQty: 0, entryCost: 0,
        exitQty: 0, exitCost: 0, fees: 0, funding: 0, realized: 0,
      };
      this.open.set(id, p);
    } else if (p.direction !== direction || p.symbol !== symbol) {
      throw new Error(`entry fill of ${id}: position is ${p.direction} ${p.symbol}, fill is ${direction} ${symbol}`);
    }
    p.entryPrice = (p.entryPrice * p.qty + f.price * f.qty) / (p.qty + f.qty);
    p.qty += f.qty;
    p.filledQty += f.qty;
    p.entryCost += f.qty * f.price;
    this.charge(p, f.fee);
    return p;
  }

  /** An exit fill; returns the closed position when nothing is left open. */
  applyExit(id: string, f: Fill): ClosedPosition | null {
    const p = this.open.get(id);
    if (!p) throw new Error(`exit fill of ${id}: no open position`);
    if (!(f.qty > 0) || f.qty > p.qty * (1 + 1e-9)) throw new Error(`exit fill of ${id}: qty ${f.qty} must be > 0 and ≤ open ${p.qty}`);
    const qty = Math.min(f.qty, p.qty);
    const gross = (p.direction === 'long' ? 1 : -1) * (f.price - p.entryPrice) * qty;
    p.realized += gross;
    this.cash += gross;
    p.qty -= qty;
    p.exitQty += qty;
    p.exitCost += qty * f.price;
    this.charge(p, f.fee);
    if (p.qty > p.filledQty * 1e-12) return null;
    this.open.delete(id);
    const closed: ClosedPosition = {
      ...p, qty: 0, closedAt: f.time, avgEntry: p.entryCost / p.filledQty, avgExit: p.exitCost / p.exitQty,
      netPnl: p.realized - p.fees - p.funding,
    };
    this.closed.push(closed);
    return closed;
  }

  /**
   * One funding settlement at `time`: every position opened before it pays (or receives)
   * qty × mark price × rate; longs pay when the rate is positive.
   */
  settleFunding(time: number, rate: number, markPrice: (symbol: string) => number): number {
    let total = 0;
    if (rate === 0) return 0;
    for (const p of this.open.values()) {
      if (p.openedAt >= time || p.qty <= 0) continue;
      const amount = fundingPayment(p.direction, p.qty, markPrice(p.symbol), rate);
      p.funding += amount;
      this.fundingPaid += amount;
      this.cash -= amount;
      total += amount;
    }
    return total;
  }

  /** sum(net PnL of every trade, open ones so far) − (equity − initial); 0 up to float error. */
  accountingError(): number {
    let sum = 0;
    for (const c of this.closed) sum += c.netPnl;
    for (const p of this.open.values()) sum += p.realized - p.fees - p.funding;
    return sum - (this.cash - this.initialEquity);
  }

  private charge(p: PositionState, fee: number): void {
    p.fees += fee;
    this.feesPaid += fee;
    this.cash -= fee;
  }
}
