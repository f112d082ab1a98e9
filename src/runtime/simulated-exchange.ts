// The paper and replay venue: an ExchangePort whose fills come from the simulated broker — the
// same one the backtest uses — and whose candles come from a CandleSource (recorded files for
// replay, Bybit public market data for paper). Each closed candle first plays against the book
// (fills are reported), then is handed on, so the runtime sees exactly what the backtest sees.
import { SimBroker, type SimFill } from '../../engine/sim-broker.js';
import { TF_MS, type Timeframe } from '../../engine/timeframe.js';
import type { EngineParams } from '../../engine/params.js';
import type { Candle } from '../../engine/types.js';
import type {
  Balance, ExchangeEvent, ExchangePort, Fill, Instrument, OrderRequest, OrderState, Position, Ticker,
} from '../exchange/port.js';

export interface CandleSource {
  /** Streams closed base candles; resolves when the source ends (replay) or never (live). */
  run(symbols: string[], tf: Timeframe, emit: (e: ExchangeEvent) => Promise<void>): Promise<void>;
  history(symbol: string, tf: Timeframe, from: number, to: number): Promise<Candle[]>;
  instruments(symbols?: string[]): Promise<Instrument[]>;
  tickers(symbols?: string[]): Promise<Ticker[]>;
  stop(): Promise<void>;
  /** Live sources only: more symbols on the running stream (coin universe). */
  addSymbols?(symbols: string[]): Promise<void>;
}

export class SimulatedExchange implements ExchangePort {
  readonly broker: SimBroker;
  private now = 0;
  private readonly last = new Map<string, Candle>();
  private equity: number;
  private readonly links = new Map<string, string>();
  private running: Promise<void> | null = null;

  constructor(
    readonly name: string,
    private readonly source: CandleSource,
    private readonly params: EngineParams,
  ) {
    this.broker = new SimBroker(params);
    this.equity = params.initial_equity;
  }

  instruments(symbols?: string[]): Promise<Instrument[]> {
    return this.source.instruments(symbols);
  }

  klines(symbol: string, tf: Timeframe, from: number, to: number): Promise<Candle[]> {
    return this.source.history(symbol, tf, from, to);
  }

  async tickers(symbols?: string[]): Promise<Ticker[]> {
    const live = await this.source.tickers(symbols).catch(() => []);
    if (live.length) return live;
    return [...this.last.entries()].filter(([s]) => !symbols || symbols.includes(s)).map(([symbol, c]) => ({
      symbol, lastPrice: c.close, bid: c.close, ask: c.close, turnover24h: 0, fundingRate: 0,
    }));
  }

  async setLeverage(): Promise<void> {}

  async placeOrder(req: OrderRequest): Promise<OrderState> {
    const p = this.broker.position(req.symbol);
    const kind = req.reduceOnly ? 'market_close' : req.type === 'limit' ? 'limit_entry' : 'market_entry';
    const direction = req.reduceOnly ? (p?.direction ?? (req.side === 'Buy' ? 'short' : 'long')) : req.side === 'Buy' ? 'long' : 'short';
    const o = this.broker.place({
      id: req.orderLinkId, symbol: req.symbol, kind, direction, qty: req.qty, price: req.price ?? 0,
      takeProfit: req.takeProfit, stopLoss: req.stopLoss, placedAt: this.now,
    });
    return this.state(o.id)!;
  }

  async cancelOrder(_symbol: string, orderLinkId: string): Promise<void> {
    this.broker.cancel(orderLinkId);
  }

  async getOrder(_symbol: string, orderLinkId: string): Promise<OrderState | null> {
    return this.state(orderLinkId);
  }

  async openOrders(symbol?: string): Promise<OrderState[]> {
    return this.broker.openOrders(symbol).map((o) => this.state(o.id)!);
  }

  async setTradingStop(symbol: string, stopLoss: number, takeProfit?: number): Promise<void> {
    this.broker.setTradingStop(symbol, stopLoss, takeProfit);
  }

  async positions(symbol?: string): Promise<Position[]> {
    return this.broker.allPositions().filter((p) => !symbol || p.symbol === symbol).map((p) => {
      const px = this.last.get(p.symbol)?.close ?? p.entryPrice;
      return {
        symbol: p.symbol, direction: p.direction, size: p.size, entryPrice: p.entryPrice, leverage: 0,
        takeProfit: p.takeProfit, stopLoss: p.stopLoss, liqPrice: null,
        unrealisedPnl: (p.direction === 'long' ? 1 : -1) * (px - p.entryPrice) * p.size,
      };
    });
  }

  async balance(): Promise<Balance> {
    return { equity: this.equity, available: this.equity };
  }

  async subscribe(symbols: string[], tf: Timeframe, onEvent: (e: ExchangeEvent) => void | Promise<void>): Promise<void> {
    const ms = TF_MS[tf];
    this.running = this.source.run(symbols, tf, async (e) => {
      if (e.type === 'candle') {
        this.now = e.candle.ts + ms;
        this.last.set(e.symbol, e.candle);
        const { fills, funding } = this.broker.processCandle(e.symbol, e.candle, ms);
        for (const f of funding) {
          this.equity -= f.amount;
          await onEvent({ type: 'funding', symbol: f.symbol, amount: f.amount, time: f.time });
        }
        for (const f of fills) await onEvent({ type: 'fill', fill: this.toFill(f) });
        this.broker.prune();
      }
      await onEvent(e);
    });
  }

  /** Coin universe (paper): the source streams more symbols; replay cannot. */
  async addSymbols(symbols: string[]): Promise<void> {
    if (!this.source.addSymbols) throw new Error(`the ${this.name} venue cannot add symbols while streaming`);
    await this.source.addSymbols(symbols);
  }

  /** Resolves when a finite source (replay) has delivered its last candle. */
  finished(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  async close(): Promise<void> {
    await this.source.stop();
  }

  private toFill(f: SimFill): Fill {
    const side = f.reduce ? (f.direction === 'long' ? 'Sell' : 'Buy') : f.direction === 'long' ? 'Buy' : 'Sell';
    this.equity -= f.fee;
    return {
      execId: f.execId, orderId: f.orderId, orderLinkId: f.orderId, symbol: f.symbol, side, price: f.price, qty: f.qty,
      fee: f.fee, isMaker: f.isMaker, time: f.time, reduceOnly: f.reduce,
      trigger: f.trigger === 'take_profit' || f.trigger === 'stop_loss' ? f.trigger : undefined,
    };
  }

  private state(id: string): OrderState | null {
    const o = this.broker.order(id);
    if (!o) return null;
    return {
      orderId: o.id, orderLinkId: o.id, symbol: o.symbol,
      side: o.kind === 'market_close' ? (o.direction === 'long' ? 'Sell' : 'Buy') : o.direction === 'long' ? 'Buy' : 'Sell',
      type: o.kind === 'limit_entry' ? 'limit' : 'market',
      status: o.status === 'open' ? (o.filledQty > 0 ? 'partially_filled' : 'new') : o.status,
      qty: o.qty, filledQty: o.filledQty, avgPrice: o.price, price: o.price, reduceOnly: o.kind === 'market_close', updatedAt: this.now,
    };
  }
}
