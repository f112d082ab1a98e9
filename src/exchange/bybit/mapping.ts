// Bybit V5 wire shapes (all numbers arrive as strings) to the port's types.
import type { Candle } from '../../../engine/types.js';
import type { Timeframe } from '../../../engine/timeframe.js';
import type { Fill, FundingEvent, Instrument, OrderState, OrderStatus, Position, Ticker } from '../port.js';

export const INTERVAL: Record<Timeframe, string> = { '1m': '1', '5m': '5', '15m': '15', '1h': '60', '4h': '240' };

export function timeframeOfInterval(interval: string): Timeframe | undefined {
  return (Object.keys(INTERVAL) as Timeframe[]).find((tf) => INTERVAL[tf] === interval);
}

type Raw = Record<string, unknown>;
const num = (v: unknown): number => (v === undefined || v === null || v === '' ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => {
  const n = Number(v);
  return v === undefined || v === null || v === '' || !Number.isFinite(n) || n === 0 ? null : n;
};
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

export function toInstrument(r: Raw): Instrument {
  const price = (r.priceFilter ?? {}) as Raw;
  const lot = (r.lotSizeFilter ?? {}) as Raw;
  const lev = (r.leverageFilter ?? {}) as Raw;
  return {
    symbol: str(r.symbol),
    tickSize: num(price.tickSize),
    qtyStep: num(lot.qtyStep),
    minQty: num(lot.minOrderQty),
    maxQty: num(lot.maxOrderQty),
    minNotional: num(lot.minNotionalValue),
    maxLeverage: num(lev.maxLeverage),
  };
}

/** REST kline row: [start, open, high, low, close, volume, turnover]. */
export function toCandle(row: string[]): Candle {
  return { ts: Number(row[0]), open: Number(row[1]), high: Number(row[2]), low: Number(row[3]), close: Number(row[4]), volume: Number(row[5]) };
}

export function toTicker(r: Raw): Ticker {
  return {
    symbol: str(r.symbol),
    lastPrice: num(r.lastPrice),
    bid: num(r.bid1Price),
    ask: num(r.ask1Price),
    turnover24h: num(r.turnover24h),
    fundingRate: num(r.fundingRate),
  };
}

const STATUS: Record<string, OrderStatus> = {
  Created: 'new',
  New: 'new',
  Untriggered: 'new',
  PartiallyFilled: 'partially_filled',
  Filled: 'filled',
  // Derivatives: a Cancelled order may carry fills; filledQty tells.
  Cancelled: 'cancelled',
  PartiallyFilledCanceled: 'cancelled',
  Deactivated: 'cancelled',
  Triggered: 'new',
  Rejected: 'rejected',
};

export function toOrderState(r: Raw): OrderState {
  return {
    orderId: str(r.orderId),
    orderLinkId: str(r.orderLinkId),
    symbol: str(r.symbol),
    side: r.side === 'Sell' ? 'Sell' : 'Buy',
    type: r.orderType === 'Limit' ? 'limit' : 'market',
    status: STATUS[str(r.orderStatus)] ?? 'new',
    qty: num(r.qty),
    filledQty: num(r.cumExecQty),
    avgPrice: num(r.avgPrice),
    price: num(r.price),
    reduceOnly: r.reduceOnly === true || r.reduceOnly === 'true',
    updatedAt: num(r.updatedTime),
  };
}

/**
 * A funding settlement (execType Funding): not a fill — execQty is the whole position and nothing
 * traded. Bybit's execFee is what the position paid, like a trading fee: > 0 paid, < 0 received
 * (a long pays a positive rate, a short receives it).
 */
export function toFunding(r: Raw): FundingEvent & { execId: string } {
  return { type: 'funding', symbol: str(r.symbol), amount: num(r.execFee), time: num(r.execTime), execId: str(r.execId) };
}

export function toFill(r: Raw): Fill {
  return {
    execId: str(r.execId),
    orderId: str(r.orderId),
    orderLinkId: str(r.orderLinkId),
    symbol: str(r.symbol),
    side: r.side === 'Sell' ? 'Sell' : 'Buy',
    price: num(r.execPrice),
    qty: num(r.execQty),
    fee: num(r.execFee),
    isMaker: r.isMaker === true || r.isMaker === 'true',
    time: num(r.execTime),
    ...(r.stopOrderType === 'TakeProfit' || r.stopOrderType === 'PartialTakeProfit' ? { trigger: 'take_profit' as const } : {}),
    ...(r.stopOrderType === 'StopLoss' || r.stopOrderType === 'PartialStopLoss' || r.stopOrderType === 'TrailingStop' ? { trigger: 'stop_loss' as const } : {}),
    ...(r.closedSize !== undefined && r.closedSize !== '' ? { reduceOnly: num(r.closedSize) > 0 } : {}),
  };
}

/** A position row; null when flat. REST calls the entry `avgPrice`, the stream `entryPrice`. */
export function toPosition(r: Raw): Position | null {
  const size = num(r.size);
  if (!(size > 0) || (r.side !== 'Buy' && r.side !== 'Sell')) return null;
  return {
    symbol: str(r.symbol),
    direction: r.side === 'Buy' ? 'long' : 'short',
    size,
    entryPrice: num(r.avgPrice ?? r.entryPrice),
    leverage: num(r.leverage),
    takeProfit: numOrNull(r.takeProfit),
    stopLoss: numOrNull(r.stopLoss),
    unrealisedPnl: num(r.unrealisedPnl),
    liqPrice: numOrNull(r.liqPrice),
  };
}
