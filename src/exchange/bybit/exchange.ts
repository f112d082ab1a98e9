// ExchangePort for Bybit V5 USDT perpetuals (category linear, one-way mode, positionIdx 0) over
// bybit-api. Every answer's retCode is checked (RestCaller); quantities and prices are rounded to the
// instrument's grid before they are sent; TP/SL live on the position (tpslMode Full).
import { RestClientV5 } from 'bybit-api';
import type { Logger } from 'pino';
import pino from 'pino';
import type { Candle } from '../../../engine/types.js';
import { TF_MS, type Timeframe } from '../../../engine/timeframe.js';
import { ExchangeError } from '../errors.js';
import type { Balance, ExchangeEvent, ExchangePort, Fill, FundingEvent, Instrument, OrderRequest, OrderState, Position, Ticker } from '../port.js';
import { priceToTick, qtyToStep, type RoundMode } from '../rounding.js';
import { INTERVAL, toCandle, toFill, toFunding, toInstrument, toOrderState, toPosition, toTicker } from './mapping.js';
import { RestCaller, type BybitEnvelope } from './rest-call.js';
import { BybitStream, type StreamKind } from './stream.js';

export type BybitMode = 'testnet' | 'demo' | 'live' | 'public';

export interface BybitExchangeOptions {
  /** public = mainnet market data only, no keys. */
  mode: BybitMode;
  key?: string;
  secret?: string;
  /** BYBIT_REST_URL: replaces the REST host of the mode. */
  restUrl?: string;
  /** BYBIT_WS_URL: scheme and host; /v5/public/linear and /v5/private are appended. */
  wsUrl?: string;
  logger?: Logger;
  /** Per-request timeout; a write that times out has an unknown outcome. */
  requestTimeoutMs?: number;
  readAttempts?: number;
  backoffMs?: number;
  stallMs?: number;
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  reconnectDelayMs?: number;
  subscribeTimeoutMs?: number;
  /** REST silence after an HTTP 403 (Bybit asks for ≥ 10 minutes). */
  ipBanPauseMs?: number;
  stableMs?: number;
  maxReconnectDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface OrderBook {
  symbol: string;
  bids: [number, number][];
  asks: [number, number][];
  ts: number;
}

const CATEGORY = 'linear' as const;
const KLINE_PAGE = 1000;

export class BybitExchange implements ExchangePort {
  readonly name = 'bybit';
  private readonly rest: RestClientV5;
  private readonly caller: RestCaller;
  private readonly log: Logger;
  private readonly secrets: string[];
  private readonly now: () => number;
  private readonly instrumentCache = new Map<string, Instrument>();
  private stream: BybitStream | undefined;
  private sub: { symbols: string[]; tf: Timeframe; onEvent: (e: ExchangeEvent) => void | Promise<void> } | undefined;
  private lastCandleTs = new Map<string, number>();
  private seenExecIds = new Set<string>();
  private lastExecTime = 0;
  private knownOpen = new Set<string>();

  constructor(private readonly o: BybitExchangeOptions) {
    const hasKeys = Boolean(o.key && o.secret);
    if (o.mode !== 'public' && !hasKeys) throw new Error(`BybitExchange mode "${o.mode}" needs an API key and secret (use mode "public" for market data only)`);
    this.log = o.logger ?? pino({ level: 'silent' });
    this.secrets = [o.key ?? '', o.secret ?? ''].filter(Boolean);
    this.now = o.now ?? Date.now;
    const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    this.rest = new RestClientV5(
      {
        key: o.mode === 'public' ? undefined : o.key,
        secret: o.mode === 'public' ? undefined : o.secret,
        testnet: o.mode === 'testnet',
        demoTrading: o.mode === 'demo',
        baseUrl: o.restUrl,
        parseAPIRateLimits: true,
      },
      { timeout: o.requestTimeoutMs ?? 10_000 },
    );
    this.caller = new RestCaller({
      logger: this.log, secrets: this.secrets, sleep, now: this.now, readAttempts: o.readAttempts, backoffMs: o.backoffMs,
      ipBanPauseMs: o.ipBanPauseMs, // bybit-api keeps syncTime private in its typings; force=true fetches /v5/market/time and stores the offset.
      resyncTime: () => (this.rest as unknown as { syncTime(force: boolean): Promise<unknown> }).syncTime(true),
    });
  }

  /** When REST may be used again after an HTTP 403; 0 when it is not paused. */
  get restPausedUntil(): number {
    return this.caller.restPausedUntil;
  }

  /**
   * Every order is sent with positionIdx 0 (one-way mode). A symbol in hedge mode is switched to
   * one-way when it holds no position and no orders; otherwise this refuses with a clear error
   * rather than trade with a mismatched positionIdx.
   */
  async prepareAccount(symbols: string[]): Promise<void> {
    if (this.o.mode === 'public') return;
    for (const symbol of symbols) {
      const page = await this.read<{ list: Record<string, unknown>[] }>('position/list', () => this.rest.getPositionInfo({ category: CATEGORY, symbol }));
      const hedge = page.list.some((r) => Number(r.positionIdx) === 1 || Number(r.positionIdx) === 2);
      if (!hedge) continue;
      const busy = page.list.some((r) => Number(r.size) > 0) || (await this.openOrders(symbol)).length > 0;
      if (busy) {
        throw new Error(`Bybit account is in hedge mode for ${symbol} and holds a position or orders there; this bot trades one-way mode only (positionIdx 0). Close them, switch ${symbol} to one-way mode and start again. Not trading.`);
      }
      // 110025: already one-way (the position list raced a switch).
      await this.caller.call('position/switch-mode', 'write', () => this.env(this.rest.switchPositionMode({ category: CATEGORY, symbol, mode: 0 })), [110025]);
      this.log.warn({ symbol }, 'bybit: symbol was in hedge mode; switched to one-way mode');
    }
  }

  // ---------- market data ----------

  async instruments(symbols?: string[]): Promise<Instrument[]> {
    const all: Instrument[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.read<{ list: Record<string, unknown>[]; nextPageCursor?: string }>('instruments-info', () =>
        this.rest.getInstrumentsInfo({ category: CATEGORY, limit: 1000, cursor }),
      );
      for (const r of page.list) {
        if (r.status !== undefined && r.status !== 'Trading') continue; // never trade a settling/delisted contract
        const inst = toInstrument(r);
        this.instrumentCache.set(inst.symbol, inst);
        all.push(inst);
      }
      cursor = page.nextPageCursor || undefined;
    } while (cursor);
    if (!symbols) return all;
    const missing = symbols.filter((s) => !this.instrumentCache.has(s));
    if (missing.length) throw new Error(`unknown or non-trading Bybit linear symbol(s): ${missing.join(', ')}`);
    return symbols.map((s) => this.instrumentCache.get(s)!);
  }

  async instrument(symbol: string): Promise<Instrument> {
    return this.instrumentCache.get(symbol) ?? (await this.instruments([symbol]))[0];
  }

  /** Price on the instrument's tick grid, as the exact string Bybit expects. */
  async formatPrice(symbol: string, price: number, mode: RoundMode = 'nearest'): Promise<string> {
    return priceToTick(price, (await this.instrument(symbol)).tickSize, mode);
  }

  /** Quantity floored to the instrument's step, as an exact string. */
  async formatQty(symbol: string, qty: number): Promise<string> {
    return qtyToStep(qty, (await this.instrument(symbol)).qtyStep);
  }

  /** Closed candles with open time in [from, to), oldest first; the still-open candle is left out. */
  async klines(symbol: string, tf: Timeframe, from: number, to: number): Promise<Candle[]> {
    const tfMs = TF_MS[tf];
    const lastClosedOpen = this.now() - tfMs; // a candle opened after this is still running
    const byTs = new Map<number, Candle>();
    let end = Math.min(to - 1, lastClosedOpen);
    while (end >= from) {
      const page = await this.read<{ list: string[][] }>('kline', () =>
        this.rest.getKline({ category: CATEGORY, symbol, interval: INTERVAL[tf] as '1', start: from, end, limit: KLINE_PAGE }),
      );
      const rows = page.list ?? [];
      if (!rows.length) break;
      let oldest = Infinity;
      for (const row of rows) {
        const c = toCandle(row);
        oldest = Math.min(oldest, c.ts);
        if (c.ts >= from && c.ts < to && c.ts <= lastClosedOpen) byTs.set(c.ts, c);
      }
      if (!(oldest <= end)) break;
      end = oldest - 1; // Bybit pages newest first: walk backwards
    }
    return [...byTs.values()].sort((a, b) => a.ts - b.ts);
  }

  async tickers(symbols?: string[]): Promise<Ticker[]> {
    const one = symbols?.length === 1 ? symbols[0] : undefined;
    const res = await this.read<{ list: Record<string, unknown>[] }>('tickers', () => this.rest.getTickers({ category: CATEGORY, symbol: one }));
    const list = res.list.map(toTicker);
    return symbols ? list.filter((t) => symbols.includes(t.symbol)) : list;
  }

  async orderbook(symbol: string, depth = 25): Promise<OrderBook> {
    const r = await this.read<{ s: string; b: string[][]; a: string[][]; ts: number }>('orderbook', () =>
      this.rest.getOrderbook({ category: CATEGORY, symbol, limit: depth }),
    );
    const lv = (x: string[][]) => x.map(([p, q]) => [Number(p), Number(q)] as [number, number]);
    return { symbol: r.s, bids: lv(r.b ?? []), asks: lv(r.a ?? []), ts: Number(r.ts) };
  }

  // ---------- trading ----------

  async setLeverage(symbol: string, leverage: number): Promise<void> {
    this.needKeys('setLeverage');
    const inst = await this.instrument(symbol);
    if (!(leverage >= 1) || leverage > inst.maxLeverage) throw new Error(`leverage ${leverage} for ${symbol} must be between 1 and ${inst.maxLeverage}`);
    const lev = String(leverage);
    // 110043 "leverage not modified" means it is already what we want.
    await this.caller.call('set-leverage', 'write', () => this.env(this.rest.setLeverage({ category: CATEGORY, symbol, buyLeverage: lev, sellLeverage: lev })), [110043]);
  }

  async placeOrder(req: OrderRequest): Promise<OrderState> {
    this.needKeys('placeOrder');
    if (!/^[A-Za-z0-9_-]{1,36}$/.test(req.orderLinkId)) throw new Error(`orderLinkId "${req.orderLinkId}" must be 1-36 letters, digits, - or _`);
    if (req.reduceOnly && (req.takeProfit || req.stopLoss)) throw new Error('a reduce-only order cannot carry take-profit/stop-loss (Bybit rejects it)');
    const inst = await this.instrument(req.symbol);
    const qty = qtyToStep(req.qty, inst.qtyStep);
    if (Number(qty) < inst.minQty) throw new Error(`qty ${req.qty} ${req.symbol} is below the minimum ${inst.minQty} (step ${inst.qtyStep})`);
    if (Number(qty) > inst.maxQty) throw new Error(`qty ${req.qty} ${req.symbol} is above the maximum ${inst.maxQty}`);
    const params: Record<string, unknown> = {
      category: CATEGORY,
      symbol: req.symbol,
      side: req.side,
      orderType: req.type === 'limit' ? 'Limit' : 'Market',
      qty,
      positionIdx: 0,
      orderLinkId: req.orderLinkId,
    };
    if (req.type === 'limit') {
      if (!(req.price && req.price > 0)) throw new Error('a limit order needs a positive price');
      // Round a limit toward the passive side so it never crosses further than asked.
      params.price = priceToTick(req.price, inst.tickSize, req.side === 'Buy' ? 'floor' : 'ceil');
      params.timeInForce = 'GTC';
      if (inst.minNotional && Number(qty) * Number(params.price) < inst.minNotional) {
        throw new Error(`order value ${Number(qty) * Number(params.price)} for ${req.symbol} is below the minimum ${inst.minNotional} USDT`);
      }
    }
    if (req.reduceOnly) params.reduceOnly = true;
    if (req.takeProfit || req.stopLoss) {
      params.tpslMode = 'Full';
      if (req.takeProfit) { params.takeProfit = priceToTick(req.takeProfit, inst.tickSize); params.tpOrderType = 'Market'; }
      if (req.stopLoss) { params.stopLoss = priceToTick(req.stopLoss, inst.tickSize); params.slOrderType = 'Market'; }
    }
    const ack = await this.caller.call<{ orderId: string; orderLinkId: string }>('order/create', 'write', () =>
      this.env(this.rest.submitOrder(params as unknown as Parameters<RestClientV5['submitOrder']>[0])),
    );
    // The ack only means "accepted"; report what the exchange shows now if it is visible yet.
    const seen = await this.getOrder(req.symbol, req.orderLinkId).catch(() => null);
    return seen ?? {
      orderId: ack.orderId, orderLinkId: req.orderLinkId, symbol: req.symbol, side: req.side, type: req.type, status: 'new',
      qty: Number(qty), filledQty: 0, avgPrice: 0, price: Number(params.price ?? 0), reduceOnly: Boolean(req.reduceOnly), updatedAt: this.now(),
    };
  }

  async cancelOrder(symbol: string, orderLinkId: string): Promise<void> {
    this.needKeys('cancelOrder');
    // 110001 (no such open order) / 110008 (already filled or cancelled): nothing left to cancel;
    // the caller reads the final state with getOrder.
    await this.caller.call('order/cancel', 'write', () => this.env(this.rest.cancelOrder({ category: CATEGORY, symbol, orderLinkId })), [110001, 110008]);
  }

  async getOrder(symbol: string, orderLinkId: string): Promise<OrderState | null> {
    this.needKeys('getOrder');
    const live = await this.read<{ list: Record<string, unknown>[] }>('order/realtime', () =>
      this.rest.getActiveOrders({ category: CATEGORY, symbol, orderLinkId }),
    );
    if (live.list?.length) return toOrderState(live.list[0]);
    const hist = await this.read<{ list: Record<string, unknown>[] }>('order/history', () =>
      this.rest.getHistoricOrders({ category: CATEGORY, symbol, orderLinkId }),
    );
    return hist.list?.length ? toOrderState(hist.list[0]) : null;
  }

  async openOrders(symbol?: string): Promise<OrderState[]> {
    this.needKeys('openOrders');
    const out: OrderState[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.read<{ list: Record<string, unknown>[]; nextPageCursor?: string }>('order/realtime', () =>
        this.rest.getActiveOrders({ category: CATEGORY, ...(symbol ? { symbol } : { settleCoin: 'USDT' }), openOnly: 0, limit: 50, cursor }),
      );
      out.push(...page.list.map(toOrderState).filter((o) => o.status === 'new' || o.status === 'partially_filled'));
      cursor = page.nextPageCursor || undefined;
    } while (cursor);
    return out;
  }

  async setTradingStop(symbol: string, stopLoss: number, takeProfit?: number): Promise<void> {
    this.needKeys('setTradingStop');
    const inst = await this.instrument(symbol);
    const sl = priceToTick(stopLoss, inst.tickSize);
    const tp = takeProfit ? priceToTick(takeProfit, inst.tickSize) : undefined;
    const params = { category: CATEGORY, symbol, positionIdx: 0 as const, tpslMode: 'Full' as const, stopLoss: sl, slTriggerBy: 'LastPrice' as const, slOrderType: 'Market' as const, ...(tp ? { takeProfit: tp, tpOrderType: 'Market' as const } : {}) };
    try {
      await this.caller.call('position/trading-stop', 'write', () => this.env(this.rest.setTradingStop(params)));
    } catch (err) {
      // 34040 "not modified": fine only if the position already has exactly this stop.
      if (!(err instanceof ExchangeError && (err.retCode === 34040 || (err.retCode === 10001 && /not modified/i.test(err.retMsg))))) throw err;
      const pos = (await this.positions(symbol))[0];
      if (!pos || Math.abs((pos.stopLoss ?? 0) - Number(sl)) > inst.tickSize / 2) throw err;
    }
  }

  async positions(symbol?: string): Promise<Position[]> {
    this.needKeys('positions');
    const out: Position[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.read<{ list: Record<string, unknown>[]; nextPageCursor?: string }>('position/list', () =>
        this.rest.getPositionInfo({ category: CATEGORY, ...(symbol ? { symbol } : { settleCoin: 'USDT' }), limit: 200, cursor }),
      );
      // Select by content, never by index: hedge-mode accounts return an empty side too.
      for (const r of page.list) { const p = toPosition(r); if (p) out.push(p); }
      cursor = page.nextPageCursor || undefined;
    } while (cursor);
    return out;
  }

  async balance(): Promise<Balance> {
    this.needKeys('balance');
    const r = await this.read<{ list: Record<string, unknown>[] }>('wallet-balance', () => this.rest.getWalletBalance({ accountType: 'UNIFIED' }));
    const acct = r.list?.[0];
    if (!acct) throw new Error('Bybit returned no UNIFIED wallet (is this a Unified Trading Account?)');
    const usdt = ((acct.coin ?? []) as Record<string, unknown>[]).find((c) => c.coin === 'USDT');
    const equity = Number(acct.totalEquity || usdt?.equity || 0);
    const available = Number(acct.totalAvailableBalance || usdt?.walletBalance || 0);
    return { equity, available };
  }

  /** Fills since `since` (ms), oldest first, all pages (≤ 7 days back, Bybit's window). */
  async executions(since: number, symbol?: string): Promise<Fill[]> {
    return (await this.executionHistory(since, symbol)).fills;
  }

  /**
   * Fills and funding settlements since `since` (ms), each oldest first, all pages: the funding rows
   * are the history's execType Funding executions (execFee = what the position paid).
   */
  async executionHistory(since: number, symbol?: string): Promise<{ fills: Fill[]; funding: FundingEvent[] }> {
    this.needKeys('executions');
    const fills: Fill[] = [];
    const funding: FundingEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.read<{ list: Record<string, unknown>[]; nextPageCursor?: string }>('execution/list', () =>
        this.rest.getExecutionList({ category: CATEGORY, ...(symbol ? { symbol } : {}), startTime: since, limit: 100, cursor }),
      );
      for (const r of page.list) {
        if (!r.execType || r.execType === 'Trade') fills.push(toFill(r));
        else if (r.execType === 'Funding') funding.push(toFunding(r));
      }
      cursor = page.nextPageCursor || undefined;
    } while (cursor);
    return { fills: fills.sort((a, b) => a.time - b.time), funding: funding.sort((a, b) => a.time - b.time) };
  }

  // ---------- streams ----------

  async subscribe(symbols: string[], tf: Timeframe, onEvent: (e: ExchangeEvent) => void | Promise<void>): Promise<void> {
    this.sub = { symbols, tf, onEvent };
    const o = this.o;
    this.stream?.close();
    this.stream = new BybitStream({
      wsBase: o.wsUrl ? wsBase(o.wsUrl) : undefined,
      testnet: o.mode === 'testnet',
      demo: o.mode === 'demo',
      key: o.key,
      secret: o.secret,
      logger: this.log,
      secrets: this.secrets,
      stallMs: o.stallMs ?? 30_000,
      pingIntervalMs: o.pingIntervalMs ?? 10_000,
      pongTimeoutMs: o.pongTimeoutMs ?? 5_000,
      reconnectDelayMs: o.reconnectDelayMs ?? 1_000,
      subscribeTimeoutMs: o.subscribeTimeoutMs ?? 15_000,
      stableMs: o.stableMs,
      maxReconnectDelayMs: o.maxReconnectDelayMs,
      onEvent: (e) => this.dispatch(e),
      resync: (kind) => this.resync(kind),
    });
    if (o.mode !== 'public') this.lastExecTime = this.now() - 60_000;
    await this.stream.start(symbols, tf, o.mode !== 'public');
    // What happened between the caller's start-up reads and the subscription ACK is not pushed
    // again: pull it once (repeats are deduplicated by execId downstream).
    if (o.mode !== 'public') await this.resync('private');
  }

  /** Streams more symbols' klines on the running subscription (coin universe); private streams are untouched. */
  async addSymbols(symbols: string[]): Promise<void> {
    const sub = this.sub;
    if (!sub || !this.stream) throw new Error('addSymbols: subscribe first');
    const fresh = [...new Set(symbols)].filter((s) => !sub.symbols.includes(s));
    if (!fresh.length) return;
    await this.stream.addKlines(fresh, sub.tf);
    this.sub = { ...sub, symbols: [...sub.symbols, ...fresh] }; // resync after a reconnect covers them too
  }

  async close(): Promise<void> {
    this.stream?.close();
    this.stream = undefined;
  }

  /** Deduplicates what both the stream and a REST resync may deliver, then hands it on. */
  private dispatch(e: ExchangeEvent): void {
    if (!this.sub) return;
    if (e.type === 'candle') {
      const key = `${e.symbol}:${e.tf}`;
      if (e.candle.ts <= (this.lastCandleTs.get(key) ?? -Infinity)) return;
      this.lastCandleTs.set(key, e.candle.ts);
    } else if (e.type === 'fill') {
      if (this.seenExecIds.has(e.fill.execId)) return;
      this.seenExecIds.add(e.fill.execId);
      if (this.seenExecIds.size > 20_000) this.seenExecIds = new Set([...this.seenExecIds].slice(-10_000));
      this.lastExecTime = Math.max(this.lastExecTime, e.fill.time);
    } else if (e.type === 'position') {
      if (e.position.size > 0) this.knownOpen.add(e.position.symbol);
      else this.knownOpen.delete(e.position.symbol);
    }
    const fail = (err: unknown) => this.log.error({ err: String(err) }, 'exchange event handler failed');
    try {
      const r = this.sub.onEvent(e);
      if (r && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  /** Events missed while a socket was down are not replayed by Bybit: pull them by REST. */
  private async resync(kind: StreamKind): Promise<void> {
    const sub = this.sub;
    if (!sub) return;
    if (kind === 'public') {
      for (const symbol of sub.symbols) {
        const last = this.lastCandleTs.get(`${symbol}:${sub.tf}`);
        if (last === undefined) continue;
        const missed = await this.klines(symbol, sub.tf, last + TF_MS[sub.tf], this.now());
        for (const candle of missed) this.dispatch({ type: 'candle', symbol, tf: sub.tf, candle });
      }
      return;
    }
    const [orders, positions, history] = await Promise.all([this.openOrders(), this.positions(), this.executionHistory(this.lastExecTime - 5_000)]);
    for (const f of history.fills) this.dispatch({ type: 'fill', fill: f });
    // Settlements missed while the socket was down (repeats of ones already seen are dropped by execId).
    for (const f of history.funding) this.dispatch(f);
    for (const order of orders) this.dispatch({ type: 'order', order });
    const open = new Set(positions.map((p) => p.symbol));
    for (const position of positions) this.dispatch({ type: 'position', position });
    for (const symbol of [...this.knownOpen]) if (!open.has(symbol)) this.dispatch({ type: 'position', position: { symbol, size: 0 } });
  }

  private needKeys(what: string): void {
    if (this.o.mode === 'public') throw new Error(`${what} needs API keys: BybitExchange is in public (market data only) mode`);
  }

  private read<T>(endpoint: string, fn: () => Promise<unknown>): Promise<T> {
    return this.caller.call<T>(endpoint, 'read', () => this.env<T>(fn()));
  }

  private env<T>(p: Promise<unknown>): Promise<BybitEnvelope<T>> {
    return p as Promise<BybitEnvelope<T>>;
  }
}

/** ws(s)://host[:port] of a BYBIT_WS_URL; any path is dropped (we add /v5/public/linear and /v5/private). */
export function wsBase(url: string): string {
  const u = new URL(url);
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new Error(`BYBIT_WS_URL must start with ws:// or wss://, got "${url}"`);
  return `${u.protocol}//${u.host}`;
}
