// The one interface every exchange adapter (Bybit, paper, replay) implements. The runtime talks
// only to this, so backtest, replay, paper, testnet and live differ only in the adapter plugged in.
import type { Candle, Direction } from '../../engine/types.js';
import type { Timeframe } from '../../engine/timeframe.js';

export interface Instrument {
  symbol: string;
  tickSize: number;
  qtyStep: number;
  minQty: number;
  maxQty: number;
  minNotional: number;
  maxLeverage: number;
}

export interface Ticker {
  symbol: string;
  lastPrice: number;
  bid: number;
  ask: number;
  turnover24h: number;
  fundingRate: number;
}

export type OrderStatus = 'new' | 'partially_filled' | 'filled' | 'cancelled' | 'rejected';

export interface OrderRequest {
  /** Client id, stored before sending; the key that makes a resend safe. ≤ 36 chars. */
  orderLinkId: string;
  symbol: string;
  side: 'Buy' | 'Sell';
  type: 'limit' | 'market';
  qty: number;
  price?: number;
  reduceOnly?: boolean;
  /** TP/SL attached to the position (tpslMode Full), so they work while the bot is down. */
  takeProfit?: number;
  stopLoss?: number;
}

export interface OrderState {
  orderId: string;
  orderLinkId: string;
  symbol: string;
  side: 'Buy' | 'Sell';
  type: 'limit' | 'market';
  status: OrderStatus;
  qty: number;
  filledQty: number;
  avgPrice: number;
  price: number;
  reduceOnly: boolean;
  updatedAt: number;
}

export interface Fill {
  execId: string;
  orderId: string;
  orderLinkId: string;
  symbol: string;
  side: 'Buy' | 'Sell';
  price: number;
  qty: number;
  fee: number;
  isMaker: boolean;
  time: number;
  /** Set when the fill came from the position's attached TP/SL (Bybit stopOrderType). */
  trigger?: 'take_profit' | 'stop_loss';
  /** True when the fill reduced the position. */
  reduceOnly?: boolean;
}

export interface Position {
  symbol: string;
  direction: Direction;
  size: number;
  entryPrice: number;
  leverage: number;
  takeProfit: number | null;
  stopLoss: number | null;
  unrealisedPnl: number;
  liqPrice: number | null;
}

export interface Balance {
  equity: number;
  available: number;
}

/**
 * A funding payment on an open position: `amount` > 0 was paid, < 0 received. Bybit's come as
 * executions with execType Funding (their id in `execId`: a repeat is counted once).
 */
export interface FundingEvent { type: 'funding'; symbol: string; amount: number; time: number; execId?: string }

export type ExchangeEvent =
  | { type: 'candle'; symbol: string; tf: Timeframe; candle: Candle }
  | { type: 'order'; order: OrderState }
  | { type: 'fill'; fill: Fill }
  | FundingEvent
  | { type: 'position'; position: Position | { symbol: string; size: 0 } }
  | { type: 'connection'; connected: boolean; reason?: string }
  /** Every symbol's candle closing at `time` has been delivered (replay sources know; live ones may not send it). */
  | { type: 'step_end'; time: number };

export interface ExchangePort {
  readonly name: string;
  instruments(symbols?: string[]): Promise<Instrument[]>;
  klines(symbol: string, tf: Timeframe, from: number, to: number): Promise<Candle[]>;
  tickers(symbols?: string[]): Promise<Ticker[]>;
  setLeverage(symbol: string, leverage: number): Promise<void>;
  placeOrder(req: OrderRequest): Promise<OrderState>;
  cancelOrder(symbol: string, orderLinkId: string): Promise<void>;
  /** Looks an order up by its client id; null when the exchange never saw it. */
  getOrder(symbol: string, orderLinkId: string): Promise<OrderState | null>;
  openOrders(symbol?: string): Promise<OrderState[]>;
  /** Moves the position's stop (and optionally target) on the exchange. */
  setTradingStop(symbol: string, stopLoss: number, takeProfit?: number): Promise<void>;
  positions(symbol?: string): Promise<Position[]>;
  balance(): Promise<Balance>;
  /** Closed base candles and private updates; the adapter resynchronises by REST after reconnects. */
  subscribe(symbols: string[], tf: Timeframe, onEvent: (e: ExchangeEvent) => void | Promise<void>): Promise<void>;
  close(): Promise<void>;
}
