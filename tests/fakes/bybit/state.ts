// The fake exchange's book-keeping: instruments, prices, candles, orders, one-way positions with
// attached TP/SL, executions and the wallet. Tests move the price; limit orders and TP/SL trigger.
// Every change is announced on `events` so the server can push it to private sockets.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';

export interface FakeInstrument {
  symbol: string;
  tickSize: string;
  qtyStep: string;
  minOrderQty: string;
  maxOrderQty: string;
  minNotionalValue: string;
  maxLeverage: string;
  status: string;
}

export interface FakeOrder {
  orderId: string;
  orderLinkId: string;
  symbol: string;
  side: 'Buy' | 'Sell';
  orderType: 'Limit' | 'Market';
  price: number;
  qty: number;
  cumExecQty: number;
  cumExecValue: number;
  cumExecFee: number;
  orderStatus: 'New' | 'PartiallyFilled' | 'Filled' | 'Cancelled' | 'Rejected';
  reduceOnly: boolean;
  takeProfit: number;
  stopLoss: number;
  stopOrderType: string;
  createdTime: number;
  updatedTime: number;
}

export interface FakePosition {
  symbol: string;
  side: 'Buy' | 'Sell' | '';
  size: number;
  avgPrice: number;
  leverage: number;
  takeProfit: number;
  stopLoss: number;
  seq: number;
}

export interface FakeExecution {
  execId: string;
  orderId: string;
  orderLinkId: string;
  symbol: string;
  side: 'Buy' | 'Sell';
  execPrice: number;
  execQty: number;
  execFee: number;
  isMaker: boolean;
  execTime: number;
  closedSize: number;
  stopOrderType: string;
  /** Trade (a fill) unless a funding settlement. */
  execType?: 'Trade' | 'Funding';
}

export interface FakeCandle { ts: number; open: number; high: number; low: number; close: number; volume: number }

export interface PartialFillPlan {
  /** Fraction of a market order that fills (the rest is cancelled, like Bybit's slippage band). */
  fraction: number;
  /** Executions the filled part is split into. */
  parts: number;
}

const TAKER = 0.00055;
const MAKER = 0.0002;

export class FakeBybitState {
  readonly events = new EventEmitter();
  readonly instruments = new Map<string, FakeInstrument>();
  readonly prices = new Map<string, number>();
  /** `${symbol}:${interval}` → candles, any order. */
  readonly klines = new Map<string, Map<number, FakeCandle>>();
  readonly orders: FakeOrder[] = [];
  readonly positions = new Map<string, FakePosition>();
  readonly executions: FakeExecution[] = [];
  readonly leverage = new Map<string, number>();
  /** 24h turnover (USDT) the tickers answer reports per symbol; 123456789 when unset. */
  readonly turnover = new Map<string, number>();
  wallet = { equity: 10_000, available: 10_000 };
  /** Symbols whose account position mode is hedge (Both Sides); one-way otherwise. */
  readonly hedgeMode = new Set<string>();
  /** Applied to the next market orders while set. */
  partialFills: PartialFillPlan | null = null;
  private seq = 1;
  private idCounter = 1;

  constructor() {
    this.addInstrument({ symbol: 'BTCUSDT', tickSize: '0.10', qtyStep: '0.001', minOrderQty: '0.001', maxOrderQty: '1190', minNotionalValue: '5', maxLeverage: '100.00', status: 'Trading' }, 60_000);
    this.addInstrument({ symbol: 'ETHUSDT', tickSize: '0.01', qtyStep: '0.01', minOrderQty: '0.01', maxOrderQty: '7240', minNotionalValue: '5', maxLeverage: '100.00', status: 'Trading' }, 3_000);
  }

  addInstrument(i: FakeInstrument, price: number): void {
    this.instruments.set(i.symbol, i);
    this.prices.set(i.symbol, price);
    this.leverage.set(i.symbol, 10);
  }

  price(symbol: string): number {
    const p = this.prices.get(symbol);
    if (p === undefined) throw new Error(`fake: unknown symbol ${symbol}`);
    return p;
  }

  /** Moves the last price: crossing limit orders fill, position TP/SL trigger. */
  setPrice(symbol: string, price: number): void {
    this.prices.set(symbol, price);
    for (const o of this.orders) {
      if (o.symbol !== symbol || o.orderType !== 'Limit' || !isOpen(o)) continue;
      if ((o.side === 'Buy' && price <= o.price) || (o.side === 'Sell' && price >= o.price)) this.fill(o, o.qty - o.cumExecQty, o.price, true);
    }
    const pos = this.positions.get(symbol);
    if (pos && pos.size > 0) {
      const long = pos.side === 'Buy';
      const slHit = pos.stopLoss > 0 && (long ? price <= pos.stopLoss : price >= pos.stopLoss);
      const tpHit = pos.takeProfit > 0 && (long ? price >= pos.takeProfit : price <= pos.takeProfit);
      if (slHit || tpHit) {
        const close = this.newOrder({ symbol, side: long ? 'Sell' : 'Buy', orderType: 'Market', qty: pos.size, price: 0, reduceOnly: true, orderLinkId: '' });
        close.stopOrderType = slHit ? 'StopLoss' : 'TakeProfit';
        this.orders.push(close);
        this.fill(close, pos.size, price, false);
      }
    }
  }

  addCandle(symbol: string, interval: string, c: FakeCandle): void {
    const key = `${symbol}:${interval}`;
    if (!this.klines.has(key)) this.klines.set(key, new Map());
    this.klines.get(key)!.set(c.ts, c);
  }

  candles(symbol: string, interval: string): FakeCandle[] {
    return [...(this.klines.get(`${symbol}:${interval}`)?.values() ?? [])].sort((a, b) => a.ts - b.ts);
  }

  findOrder(orderLinkId?: string, orderId?: string): FakeOrder | undefined {
    if (orderId) return this.orders.find((o) => o.orderId === orderId);
    if (orderLinkId) return this.orders.find((o) => o.orderLinkId === orderLinkId);
    return undefined;
  }

  newOrder(p: { symbol: string; side: 'Buy' | 'Sell'; orderType: 'Limit' | 'Market'; qty: number; price: number; reduceOnly: boolean; orderLinkId: string; takeProfit?: number; stopLoss?: number }): FakeOrder {
    const now = Date.now();
    return {
      orderId: randomUUID(), orderLinkId: p.orderLinkId, symbol: p.symbol, side: p.side, orderType: p.orderType, price: p.price, qty: p.qty,
      cumExecQty: 0, cumExecValue: 0, cumExecFee: 0, orderStatus: 'New', reduceOnly: p.reduceOnly, takeProfit: p.takeProfit ?? 0,
      stopLoss: p.stopLoss ?? 0, stopOrderType: '', createdTime: now, updatedTime: now,
    };
  }

  /** Accepts an order (already validated) and executes what is marketable. */
  submit(o: FakeOrder): void {
    this.orders.push(o);
    this.emitOrder(o);
    const last = this.price(o.symbol);
    if (o.orderType === 'Market') {
      let qty = o.qty;
      if (o.reduceOnly) qty = Math.min(qty, this.positions.get(o.symbol)?.size ?? 0);
      const plan = this.partialFills;
      const fillQty = plan ? roundStep(qty * plan.fraction, Number(this.instruments.get(o.symbol)!.qtyStep)) : qty;
      const parts = plan ? Math.max(1, plan.parts) : 1;
      const step = Number(this.instruments.get(o.symbol)!.qtyStep);
      let left = fillQty;
      for (let i = 0; i < parts && left > 1e-12; i++) {
        const q = i === parts - 1 ? left : Math.min(left, roundStep(fillQty / parts, step) || step);
        this.fill(o, q, last, false, i < parts - 1);
        left = roundStep(left - q, step);
      }
      if (o.cumExecQty < o.qty - 1e-12) this.finish(o, 'Cancelled');
    } else if ((o.side === 'Buy' && last <= o.price) || (o.side === 'Sell' && last >= o.price)) {
      this.fill(o, o.qty, o.price, false);
    }
  }

  /** Executes `qty` of an order at `price` (tests call it directly for partial limit fills). */
  fill(o: FakeOrder, qty: number, price: number, isMaker: boolean, batchMore = false): FakeExecution {
    const now = Date.now();
    const pos = this.positions.get(o.symbol) ?? { symbol: o.symbol, side: '' as const, size: 0, avgPrice: 0, leverage: this.leverage.get(o.symbol) ?? 10, takeProfit: 0, stopLoss: 0, seq: 0 };
    let closedSize = 0;
    if (pos.size === 0 || pos.side === o.side) {
      pos.avgPrice = (pos.avgPrice * pos.size + price * qty) / (pos.size + qty);
      pos.size = round12(pos.size + qty);
      pos.side = o.side;
    } else {
      closedSize = Math.min(qty, pos.size);
      this.wallet.equity += (pos.side === 'Buy' ? price - pos.avgPrice : pos.avgPrice - price) * closedSize;
      pos.size = round12(pos.size - closedSize);
      if (qty > closedSize) { pos.side = o.side; pos.size = round12(qty - closedSize); pos.avgPrice = price; }
    }
    if (pos.size === 0) { pos.side = ''; pos.avgPrice = 0; pos.takeProfit = 0; pos.stopLoss = 0; }
    else if (!o.reduceOnly && (o.takeProfit || o.stopLoss)) {
      // tpslMode Full: the order's TP/SL move to the whole position on fill.
      if (o.takeProfit) pos.takeProfit = o.takeProfit;
      if (o.stopLoss) pos.stopLoss = o.stopLoss;
    }
    pos.seq = this.seq++;
    this.positions.set(o.symbol, pos);
    const fee = price * qty * (isMaker ? MAKER : TAKER);
    this.wallet.equity -= fee;
    o.cumExecValue += price * qty;
    o.cumExecQty = round12(o.cumExecQty + qty);
    o.cumExecFee += fee;
    o.updatedTime = now;
    o.orderStatus = o.cumExecQty >= o.qty - 1e-12 ? 'Filled' : 'PartiallyFilled';
    const ex: FakeExecution = {
      execId: randomUUID(), orderId: o.orderId, orderLinkId: o.orderLinkId, symbol: o.symbol, side: o.side, execPrice: price, execQty: qty,
      execFee: fee, isMaker, execTime: now + this.idCounter++ * 0, closedSize, stopOrderType: o.stopOrderType,
    };
    this.executions.push(ex);
    this.events.emit('execution', ex, batchMore);
    this.emitOrder(o);
    this.events.emit('position', pos);
    return ex;
  }

  /**
   * A funding settlement on the open position of `symbol`, as Bybit books it: an execution with
   * execType Funding, the position's side and size, the mark price and execFee = what the position
   * paid (> 0 paid, < 0 received: longs pay a positive rate). No order, no change of size.
   */
  settleFunding(symbol: string, rate: number, markPrice: number, time = Date.now()): FakeExecution | null {
    const pos = this.positions.get(symbol);
    if (!pos || pos.size <= 0) return null;
    const fee = (pos.side === 'Buy' ? 1 : -1) * pos.size * markPrice * rate;
    this.wallet.equity -= fee;
    const ex: FakeExecution = {
      execId: randomUUID(), orderId: randomUUID(), orderLinkId: '', symbol, side: pos.side === 'Sell' ? 'Sell' : 'Buy', execPrice: markPrice, execQty: pos.size,
      execFee: fee, isMaker: false, execTime: time, closedSize: 0, stopOrderType: 'UNKNOWN', execType: 'Funding',
    };
    this.executions.push(ex);
    this.events.emit('execution', ex, false);
    return ex;
  }

  cancel(o: FakeOrder): void {
    this.finish(o, 'Cancelled');
  }

  setTradingStop(symbol: string, tp: number | undefined, sl: number | undefined): 'ok' | 'no_position' | 'not_modified' {
    const pos = this.positions.get(symbol);
    if (!pos || pos.size === 0) return 'no_position';
    if ((tp === undefined || tp === pos.takeProfit) && (sl === undefined || sl === pos.stopLoss)) return 'not_modified';
    if (tp !== undefined) pos.takeProfit = tp;
    if (sl !== undefined) pos.stopLoss = sl;
    pos.seq = this.seq++;
    this.events.emit('position', pos);
    return 'ok';
  }

  private finish(o: FakeOrder, status: FakeOrder['orderStatus']): void {
    o.orderStatus = status;
    o.updatedTime = Date.now();
    this.emitOrder(o);
  }

  private emitOrder(o: FakeOrder): void {
    this.events.emit('order', o);
  }
}

export function isOpen(o: FakeOrder): boolean {
  return o.orderStatus === 'New' || o.orderStatus === 'PartiallyFilled';
}

function round12(x: number): number {
  return Math.round(x * 1e12) / 1e12;
}

function roundStep(x: number, step: number): number {
  return round12(Math.floor(x / step + 1e-9) * step);
}

/**
 * The trader reduces a position by hand in the Bybit app: a reduce-only market order with no
 * orderLinkId, executed at the last price. Returns its execution and the PnL Bybit realises for
 * it (price vs the position's entry, before the fee; the fee is `exec.execFee`).
 */
/** The trader adds `qty` to the open position by hand (a market order from Bybit's app: no orderLinkId). */
export function manualAdd(state: FakeBybitState, symbol: string, qty: number): FakeExecution {
  const pos = state.positions.get(symbol);
  if (!pos || pos.size === 0) throw new Error(`fake: no ${symbol} position to add to by hand`);
  const order = state.newOrder({ symbol, side: pos.side === 'Sell' ? 'Sell' : 'Buy', orderType: 'Market', qty, price: 0, reduceOnly: false, orderLinkId: '' });
  state.submit(order);
  return state.executions[state.executions.length - 1];
}

export function manualReduce(state: FakeBybitState, symbol: string, qty: number): { exec: FakeExecution; realisedPnl: number } {
  const pos = state.positions.get(symbol);
  if (!pos || pos.size === 0) throw new Error(`fake: no ${symbol} position to reduce by hand`);
  const price = state.price(symbol);
  const closed = Math.min(qty, pos.size);
  const realisedPnl = (pos.side === 'Buy' ? price - pos.avgPrice : pos.avgPrice - price) * closed;
  const order = state.newOrder({ symbol, side: pos.side === 'Buy' ? 'Sell' : 'Buy', orderType: 'Market', qty: closed, price: 0, reduceOnly: true, orderLinkId: '' });
  state.submit(order);
  return { exec: state.executions[state.executions.length - 1], realisedPnl };
}
