// A simulated exchange for backtests and paper trading: resting limit entries, market orders that
// fill at the next candle's open, TP/SL attached to the position and triggered by candle
// highs/lows (stop first when one candle touches both), reduce-only closes, fees, slippage and
// funding. Deterministic: the same candles and orders give the same fills.
import { feeOf, FUNDING_INTERVAL_MS, fundingPayment, isBuy, slipped, type CostRates } from './costs.js';
import type { Candle, Direction } from './types.js';

export type SimCosts = CostRates;

export type SimOrderKind = 'limit_entry' | 'market_entry' | 'market_close';

export interface SimOrder {
  id: string;
  symbol: string;
  kind: SimOrderKind;
  direction: Direction;
  qty: number;
  filledQty: number;
  /** Limit price of a limit entry. */
  price: number;
  /** TP/SL attached to the position when an entry fills. */
  takeProfit?: number;
  stopLoss?: number;
  placedAt: number;
  status: 'open' | 'filled' | 'cancelled';
}

export type FillTrigger = 'limit' | 'market' | 'take_profit' | 'stop_loss' | 'close';

export interface SimFill {
  execId: string;
  orderId: string;
  symbol: string;
  direction: Direction;
  /** true when the fill reduces the position. */
  reduce: boolean;
  qty: number;
  price: number;
  fee: number;
  isMaker: boolean;
  trigger: FillTrigger;
  time: number;
}

export interface SimPosition {
  symbol: string;
  direction: Direction;
  size: number;
  entryPrice: number;
  takeProfit: number | null;
  stopLoss: number | null;
  fundingPaid: number;
}

export interface FundingCharge {
  symbol: string;
  amount: number;
  time: number;
}

/** The answer for a candle with nothing to play (most candles): shared, so frozen. */
const NOTHING: { fills: SimFill[]; funding: FundingCharge[] } = Object.freeze({
  fills: Object.freeze([]) as unknown as SimFill[],
  funding: Object.freeze([]) as unknown as FundingCharge[],
});

/** Removes filled and cancelled orders from a working list, keeping the order of the rest. */
function dropDone(list: SimOrder[]): void {
  let k = 0;
  for (let i = 0; i < list.length; i++) if (list[i].status === 'open') list[k++] = list[i];
  list.length = k;
}

export class SimBroker {
  private readonly orders = new Map<string, SimOrder>();
  /**
   * Orders that may still be open, per symbol, in placement order: a candle looks only at its own. A
   * symbol whose list runs empty is removed, so an idle book answers a candle without a lookup.
   */
  private readonly working = new Map<string, SimOrder[]>();
  private readonly positions = new Map<string, SimPosition>();
  private execSeq = 0;

  constructor(private readonly costs: SimCosts) {}

  position(symbol: string): SimPosition | null {
    return this.positions.get(symbol) ?? null;
  }

  allPositions(): SimPosition[] {
    return [...this.positions.values()];
  }

  order(id: string): SimOrder | null {
    return this.orders.get(id) ?? null;
  }

  openOrders(symbol?: string): SimOrder[] {
    return [...this.orders.values()].filter((o) => o.status === 'open' && (!symbol || o.symbol === symbol));
  }

  /** Idempotent by id: placing an id twice returns the first order (like orderLinkId). */
  place(o: Omit<SimOrder, 'filledQty' | 'status'>): SimOrder {
    const existing = this.orders.get(o.id);
    if (existing) return existing;
    if (!(o.qty > 0)) throw new Error(`order ${o.id}: qty must be > 0`);
    // Every order with the same fields in the same order (one hidden class: the candle loop stays monomorphic).
    const order: SimOrder = {
      id: o.id, symbol: o.symbol, kind: o.kind, direction: o.direction, qty: o.qty, filledQty: 0, price: o.price,
      takeProfit: o.takeProfit, stopLoss: o.stopLoss, placedAt: o.placedAt, status: 'open',
    };
    this.orders.set(o.id, order);
    const list = this.working.get(o.symbol);
    if (list) list.push(order);
    else this.working.set(o.symbol, [order]);
    return order;
  }

  cancel(id: string): SimOrder | null {
    const o = this.orders.get(id);
    if (o && o.status === 'open') o.status = 'cancelled';
    return o ?? null;
  }

  setTradingStop(symbol: string, stopLoss: number | null, takeProfit?: number | null): void {
    const p = this.positions.get(symbol);
    if (!p) throw new Error(`no open position on ${symbol}`);
    p.stopLoss = stopLoss;
    if (takeProfit !== undefined) p.takeProfit = takeProfit;
  }

  /** Forgets filled and cancelled orders (keeps memory flat over long backtests). */
  prune(): void {
    for (const [id, o] of this.orders) if (o.status !== 'open') this.orders.delete(id);
  }

  /**
   * Plays one closed candle of `symbol` against the book, in the order a real exchange would have
   * seen it: queued market orders at the open, then the position's stop/target, then resting limits
   * (a limit filled in this candle is then checked against its stop only — the conservative case).
   */
  processCandle(symbol: string, c: Candle, tfMs: number): { fills: SimFill[]; funding: FundingCharge[] } {
    if (this.positions.size === 0 && this.working.size === 0) return NOTHING;
    const pos0 = this.positions.get(symbol);
    const working = this.working.get(symbol);
    if (pos0 === undefined && (working === undefined || working.length === 0)) return NOTHING;
    // Out of line: this check runs for every candle of every symbol, the play below for few of them,
    // and a small function is optimised early and once.
    return this.play(symbol, c, tfMs, pos0, working);
  }

  private play(symbol: string, c: Candle, tfMs: number, pos0: SimPosition | undefined, working: SimOrder[] | undefined): { fills: SimFill[]; funding: FundingCharge[] } {
    const fills: SimFill[] = [];
    const funding: FundingCharge[] = [];
    const closeT = c.ts + tfMs;
    // Funding is charged to a position held at the 8h mark (the candle that opens on it).
    if (pos0 && this.costs.funding_rate !== 0 && c.ts % FUNDING_INTERVAL_MS === 0) {
      const amount = fundingPayment(pos0.direction, pos0.size, c.open, this.costs.funding_rate);
      pos0.fundingPaid += amount;
      funding.push({ symbol, amount, time: c.ts });
    }
    const orders = working ?? [];
    for (const o of orders) {
      if (o.status !== 'open' || o.kind === 'limit_entry') continue;
      if (o.placedAt > c.ts) continue; // placed after this candle opened: waits for the next one
      if (o.kind === 'market_entry') {
        const px = slipped(c.open, isBuy(o.direction, true), this.costs.slippage);
        fills.push(this.fillEntry(o, o.qty - o.filledQty, px, false, 'market', c.ts));
      } else {
        const p = this.positions.get(symbol);
        const qty = Math.min(o.qty - o.filledQty, p?.size ?? 0);
        o.status = 'filled';
        if (p && qty > 0) {
          const px = slipped(c.open, isBuy(p.direction, false), this.costs.slippage);
          o.filledQty += qty;
          fills.push(this.fillExit(p, o.id, qty, px, 'close', c.ts));
        }
      }
    }
    this.checkProtection(symbol, c, closeT, fills, true);
    for (const o of orders) {
      if (o.status !== 'open' || o.kind !== 'limit_entry') continue;
      if (o.placedAt > c.ts) continue;
      // A limit fills only when price trades through it; touching is not enough.
      const through = o.direction === 'long' ? c.low < o.price : c.high > o.price;
      if (!through) continue;
      fills.push(this.fillEntry(o, o.qty - o.filledQty, o.price, true, 'limit', closeT));
      this.checkProtection(symbol, c, closeT, fills, false);
    }
    if (working) {
      dropDone(working);
      if (working.length === 0) this.working.delete(symbol);
    }
    return { fills, funding };
  }

  /**
   * `atOpen`: the position existed when the candle opened, so a gap through a level fills at the
   * open and the target is checked too. Otherwise (just filled inside this candle) only the stop is
   * checked, at its level: the path inside the candle is unknown, so assume the worse.
   */
  private checkProtection(symbol: string, c: Candle, closeT: number, fills: SimFill[], atOpen: boolean): void {
    const p = this.positions.get(symbol);
    if (!p) return;
    const long = p.direction === 'long';
    const exitBuys = isBuy(p.direction, false);
    const slip = this.costs.slippage;
    if (p.stopLoss !== null) {
      const gapped = atOpen && (long ? c.open <= p.stopLoss : c.open >= p.stopLoss);
      if (gapped || (long ? c.low <= p.stopLoss : c.high >= p.stopLoss)) {
        const px = slipped(gapped ? c.open : p.stopLoss, exitBuys, slip);
        fills.push(this.fillExit(p, `sl-${symbol}-${closeT}`, p.size, px, 'stop_loss', gapped ? c.ts : closeT));
        return;
      }
    }
    if (atOpen && p.takeProfit !== null) {
      const gapped = long ? c.open >= p.takeProfit : c.open <= p.takeProfit;
      if (gapped || (long ? c.high >= p.takeProfit : c.low <= p.takeProfit)) {
        const px = slipped(gapped ? c.open : p.takeProfit, exitBuys, slip);
        fills.push(this.fillExit(p, `tp-${symbol}-${closeT}`, p.size, px, 'take_profit', gapped ? c.ts : closeT));
      }
    }
  }

  private fillEntry(o: SimOrder, qty: number, price: number, maker: boolean, trigger: FillTrigger, time: number): SimFill {
    o.filledQty += qty;
    o.status = 'filled';
    const fee = feeOf(qty, price, maker, this.costs);
    const p = this.positions.get(o.symbol);
    if (p && p.direction === o.direction) {
      p.entryPrice = (p.entryPrice * p.size + price * qty) / (p.size + qty);
      p.size += qty;
    } else {
      this.positions.set(o.symbol, {
        symbol: o.symbol, direction: o.direction, size: qty, entryPrice: price,
        takeProfit: o.takeProfit ?? null, stopLoss: o.stopLoss ?? null, fundingPaid: 0,
      });
    }
    return {
      execId: `x${++this.execSeq}`, orderId: o.id, symbol: o.symbol, direction: o.direction, reduce: false,
      qty, price, fee, isMaker: maker, trigger, time,
    };
  }

  private fillExit(p: SimPosition, orderId: string, qty: number, price: number, trigger: FillTrigger, time: number): SimFill {
    const fee = feeOf(qty, price, false, this.costs);
    p.size -= qty;
    if (p.size <= 1e-12) this.positions.delete(p.symbol);
    return {
      execId: `x${++this.execSeq}`, orderId, symbol: p.symbol, direction: p.direction, reduce: true,
      qty, price, fee, isMaker: false, trigger, time,
    };
  }
}
