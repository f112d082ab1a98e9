// The live runtime: market data in, orders out. Closed base candles (and the venue's fills) drive
// the trading session; its commands go to the exchange port; signals are executed at once (auto)
// or after an Approve (approve). The same class runs replay, paper, testnet, demo and live.
import { randomUUID } from 'node:crypto';
import { TradingSession, type SessionCommand, type SessionEvent, type VenueFill } from '../../engine/session.js';
import { TF_MS, type Timeframe } from '../../engine/timeframe.js';
import { coinConfig, type CoinConfig, type EngineParams } from '../../engine/params.js';
import type { Signal, SignalFate } from '../../engine/types.js';
import type { ExchangeEvent, ExchangePort, Fill, Instrument } from '../exchange/port.js';
import type { SymbolStreamer } from './universe.js';
import type { ApprovalRecord, Store } from '../storage/store.js';
import type { BotControl, BotEvent, ExecutionMode } from '../../handlers/control.js';
import type { Logger } from '../log.js';
import { closedTradeRecord, openTradeRecord, signalRecord, uuidFor } from './records.js';
import { mlFeatureRecord, type MlSignalScoring } from '../ml/signal-scoring.js';
import { RuntimeControl } from './control.js';

export interface Publisher {
  publish(e: BotEvent): Promise<void>;
}

export interface RuntimeOptions {
  exchange: ExchangePort;
  store: Store | null;
  publisher: Publisher;
  logger: Logger;
  params: EngineParams;
  coins: Record<string, CoinConfig>;
  symbols: string[];
  baseTf: Timeframe;
  /** replay, paper, testnet, demo, live — also the `source` of stored rows. */
  tradingMode: string;
  executionMode: ExecutionMode;
  approvalTimeoutSeconds: number;
  maxDailyLossPercent: number;
  mlMinConfidence: number;
  mlScore?: ConstructorParameters<typeof TradingSession>[0]['mlScore'];
  /** ML features (+ model): fed every closed candle before the session, scores every signal, labels trades (replaces mlScore). */
  ml?: MlSignalScoring;
  modelVersion?: string | null;
  /** Fetch REST history to warm up the indicators before streaming (not for replay). */
  backfill: boolean;
  /** Wall clock; replaced in tests. */
  clock?: () => number;
}

export class Runtime {
  readonly session: TradingSession;
  readonly control: BotControl;
  executionMode: ExecutionMode;
  connected = false;
  lastCandleAt: number | null = null;
  lastCandleTime: number | null = null;
  readonly startedAt: number;
  private pending = new Map<number, Map<string, import('../../engine/types.js').Candle>>();
  private instruments = new Map<string, Instrument>();
  private approvals = new Map<string, { record: ApprovalRecord; signal: Signal; timer: NodeJS.Timeout | null }>();
  private chain: Promise<void> = Promise.resolve();
  private readonly clock: () => number;
  private stopping = false;
  readonly lastPrice = new Map<string, number>();
  /** Observer of every closed trade (replay output, tests). */
  onTradeClosed: ((t: import('../../engine/session.js').TradeResult) => void) | null = null;

  constructor(readonly opts: RuntimeOptions) {
    this.clock = opts.clock ?? Date.now;
    this.startedAt = this.clock();
    this.executionMode = opts.executionMode;
    this.session = new TradingSession({
      params: opts.params, coins: opts.coins, symbols: opts.symbols, baseTf: opts.baseTf,
      autoExecute: false, maxDailyLossPercent: opts.maxDailyLossPercent, mlMinConfidence: opts.mlMinConfidence,
      mlScore: opts.ml ? opts.ml.score : opts.mlScore,
    });
    for (const w of this.session.warnings) opts.logger.warn(w);
    this.control = new RuntimeControl(this);
  }

  get log(): Logger {
    return this.opts.logger;
  }

  /** Restores state, warms up, then streams. Resolves once streaming has started. */
  async start(): Promise<void> {
    const { exchange, store, logger } = this.opts;
    const state = await store?.getBotState().catch(() => null);
    if (state) {
      this.executionMode = state.mode;
      this.session.paused = state.paused;
    }
    for (const i of await exchange.instruments(this.opts.symbols)) this.instruments.set(i.symbol, i);
    const bal = await exchange.balance();
    this.session.equity = bal.equity;
    await this.reconcile();
    if (this.opts.backfill) await this.warmUp();
    await this.restoreApprovals();
    logger.info({ symbols: this.opts.symbols, mode: this.opts.tradingMode, execution: this.executionMode }, 'streaming market data');
    await exchange.subscribe(this.opts.symbols, this.opts.baseTf, (e) => this.enqueue(e));
    this.connected = true;
  }

  /** Events are handled strictly one after another (fills before the candles that follow them). */
  private enqueue(e: ExchangeEvent): Promise<void> {
    const next = this.chain.then(() => this.handle(e)).catch((err) => {
      this.log.error({ err: String(err?.message ?? err) }, 'event handling failed');
    });
    this.chain = next;
    return next;
  }

  /** Runs `fn` between two events, so chat actions never interleave with candle handling. */
  runExclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.then(() => undefined, () => undefined);
    return run;
  }

  async processDrained(): Promise<void> {
    await this.process(this.session.drain());
  }

  async recordSignalFate(signal: Signal, fate: SignalFate): Promise<void> {
    await this.opts.store?.upsertSignal(signalRecord(signal, fate, null, this.opts.tradingMode));
  }

  /** Waits until every event received so far has been handled. */
  idle(): Promise<void> {
    return this.chain;
  }

  private async handle(e: ExchangeEvent): Promise<void> {
    switch (e.type) {
      case 'connection':
        this.connected = e.connected;
        if (!e.connected) this.log.warn({ reason: e.reason }, 'exchange connection lost');
        return;
      case 'fill':
        this.session.onFill(toVenueFill(e.fill));
        await this.process(this.session.drain());
        return;
      case 'candle': {
        const closeT = e.candle.ts + TF_MS[this.opts.baseTf];
        // A candle of a later step means the earlier step is complete.
        for (const t of [...this.pending.keys()].sort((a, b) => a - b)) if (t < closeT) await this.flush(t);
        let step = this.pending.get(closeT);
        if (!step) this.pending.set(closeT, (step = new Map()));
        step.set(e.symbol, e.candle);
        this.lastCandleAt = this.clock();
        this.lastCandleTime = closeT;
        this.lastPrice.set(e.symbol, e.candle.close);
        if (step.size === this.opts.symbols.length) await this.flush(closeT);
        return;
      }
      case 'step_end':
        if (this.pending.has(e.time)) await this.flush(e.time);
        return;
      default:
        return;
    }
  }

  private async flush(time: number): Promise<void> {
    const step = this.pending.get(time);
    this.pending.delete(time);
    if (!step) return;
    for (const symbol of this.opts.symbols) {
      const c = step.get(symbol);
      if (c) {
        this.opts.ml?.observe(symbol, c);
        this.session.onCandle(symbol, c);
      }
    }
    await this.process(this.session.endStep(time));
  }

  private async process(out: { commands: SessionCommand[]; events: SessionEvent[] }): Promise<void> {
    for (const cmd of out.commands) await this.execute(cmd);
    for (const ev of out.events) await this.onSessionEvent(ev);
  }

  private async execute(cmd: SessionCommand): Promise<void> {
    const ex = this.opts.exchange;
    const store = this.opts.store;
    const now = new Date(this.clock());
    try {
      switch (cmd.type) {
        case 'place_entry': {
          const side = cmd.direction === 'long' ? 'Buy' : 'Sell';
          await store?.upsertOrder({
            id: uuidFor('order', cmd.orderId, this.opts.tradingMode), order_link_id: cmd.orderId,
            trade_id: uuidFor('trade', cmd.tradeId, this.opts.tradingMode), symbol: cmd.symbol, side, order_type: cmd.orderType,
            purpose: 'entry', qty: cmd.qty, price: cmd.orderType === 'limit' ? cmd.price : null, reduce_only: false, status: 'intent',
            exchange_order_id: null, filled_qty: 0, avg_price: null, created_at: now, updated_at: now,
          });
          await ex.setLeverage(cmd.symbol, cmd.leverage);
          const st = await ex.placeOrder({
            orderLinkId: cmd.orderId, symbol: cmd.symbol, side, type: cmd.orderType, qty: cmd.qty,
            price: cmd.orderType === 'limit' ? cmd.price : undefined, takeProfit: cmd.takeProfit, stopLoss: cmd.stopLoss,
          });
          await store?.upsertOrder({
            id: uuidFor('order', cmd.orderId, this.opts.tradingMode), order_link_id: cmd.orderId,
            trade_id: uuidFor('trade', cmd.tradeId, this.opts.tradingMode), symbol: cmd.symbol, side, order_type: cmd.orderType,
            purpose: 'entry', qty: cmd.qty, price: cmd.orderType === 'limit' ? cmd.price : null, reduce_only: false, status: st.status,
            exchange_order_id: st.orderId, filled_qty: st.filledQty, avg_price: st.avgPrice || null, created_at: now, updated_at: now,
          });
          return;
        }
        case 'cancel_entry':
          await ex.cancelOrder(cmd.symbol, cmd.orderId);
          return;
        case 'move_stop':
          await ex.setTradingStop(cmd.symbol, cmd.stopLoss);
          return;
        case 'close_position': {
          const pos = (await ex.positions(cmd.symbol))[0];
          if (!pos || pos.size <= 0) return;
          await ex.placeOrder({
            orderLinkId: cmd.orderId, symbol: cmd.symbol, side: pos.direction === 'long' ? 'Sell' : 'Buy', type: 'market',
            qty: pos.size, reduceOnly: true,
          });
          return;
        }
      }
    } catch (err) {
      const msg = `${cmd.type} ${cmd.symbol} failed: ${(err as Error).message}`;
      this.log.error({ cmd: cmd.type, symbol: cmd.symbol, err: (err as Error).message }, 'exchange command failed');
      await this.opts.publisher.publish({ type: 'error', message: msg });
    }
  }

  private async onSessionEvent(ev: SessionEvent): Promise<void> {
    const { store, publisher } = this.opts;
    const source = this.opts.tradingMode;
    switch (ev.type) {
      case 'signal': {
        await this.recordMlFeatures(ev.signal, null);
        if (ev.fate === 'awaiting_approval') {
          if (this.executionMode === 'auto') {
            await this.executeSignal(ev.signal, null);
          } else {
            await this.askApproval(ev.signal);
          }
          return;
        }
        await store?.upsertSignal(signalRecord(ev.signal, ev.fate, ev.tradeId, source));
        return;
      }
      case 'trade_opened': {
        const t = this.session.openTrades().get(ev.symbol);
        if (t) await store?.upsertTrade(openTradeRecord({ tradeId: ev.tradeId, signal: t.signal, price: ev.price, qty: ev.qty, leverage: ev.leverage, time: ev.time, orderType: 'limit' }, source));
        await publisher.publish({ type: 'trade_opened', tradeId: ev.tradeId, symbol: ev.symbol, direction: ev.direction, price: ev.price, qty: ev.qty, leverage: ev.leverage, stopLoss: ev.stopLoss, takeProfit: ev.takeProfit });
        return;
      }
      case 'stop_moved':
        await publisher.publish({ type: 'stop_moved', tradeId: ev.tradeId, symbol: ev.symbol, direction: ev.direction, stopLoss: ev.stopLoss, reason: ev.reason });
        return;
      case 'entry_missed':
        await store?.upsertSignal(signalRecord(ev.signal, 'entry_missed', null, source));
        return;
      case 'trade_closed': {
        const t = ev.trade;
        this.onTradeClosed?.(t);
        await store?.upsertTrade(closedTradeRecord(t, source));
        this.opts.ml?.onTradeClosed(t);
        await this.recordMlFeatures(t.signal, t);
        await publisher.publish({ type: 'trade_closed', tradeId: t.id, symbol: t.symbol, direction: t.direction, exitPrice: t.exitPrice, pnlUsd: t.netPnl, pnlPercent: t.pnlPercent, reason: t.exitReason });
        return;
      }
      default:
        return;
    }
  }

  /** The signal's ml_features row: at the signal without an outcome, again with it when its trade closes. */
  private async recordMlFeatures(signal: Signal, closed: import('../../engine/session.js').TradeResult | null): Promise<void> {
    const f = this.opts.ml?.knownFeatures(signal.id);
    if (!f || !this.opts.store) return;
    const source = this.opts.tradingMode;
    await this.opts.store.upsertMlFeatures(mlFeatureRecord(
      uuidFor('ml_features', signal.id, source), closed ? uuidFor('trade', closed.id, source) : null, signal, f, closed,
    ));
  }

  /** Auto mode, or an approved signal: re-check and place the entry. */
  async executeSignal(signal: Signal, currentPrice: number | null): Promise<{ ok: true; tradeId: string } | { ok: false; fate: SignalFate; detail: string }> {
    const r = this.session.openEntry(signal, this.lastCandleTime ?? signal.time, currentPrice ?? undefined);
    const out = this.session.drain();
    await this.opts.store?.upsertSignal(signalRecord(signal, r.ok ? 'executed' : r.fate, r.ok ? r.tradeId : null, this.opts.tradingMode));
    const size = out.events.find((e) => e.type === 'entry_placed');
    if (this.executionMode === 'auto' && r.ok) {
      await this.opts.publisher.publish({
        type: 'signal', signal, approval: null, sizeQty: size && size.type === 'entry_placed' ? size.qty : 0,
        riskUsd: this.session.equity * this.opts.params.risk_per_trade_percent / 100, modelLoaded: this.opts.ml ? this.opts.ml.model.loaded : Boolean(this.opts.mlScore),
      });
    }
    await this.process(out);
    return r;
  }

  private async askApproval(signal: Signal): Promise<void> {
    const now = this.clock();
    const id = randomUUID();
    const record: ApprovalRecord = {
      id, signal_id: uuidFor('signal', signal.id, this.opts.tradingMode), payload: signal, status: 'pending', decided_by: null,
      messages: [], expires_at: new Date(now + this.opts.approvalTimeoutSeconds * 1000), created_at: new Date(now), updated_at: new Date(now),
    };
    await this.opts.store?.upsertApproval(record);
    await this.opts.store?.upsertSignal(signalRecord(signal, null, null, this.opts.tradingMode));
    this.track(record, signal);
    await this.opts.publisher.publish({
      type: 'signal', signal, approval: { id, expiresAt: record.expires_at.getTime() },
      sizeQty: 0, riskUsd: this.session.equity * this.opts.params.risk_per_trade_percent / 100, modelLoaded: this.opts.ml ? this.opts.ml.model.loaded : Boolean(this.opts.mlScore),
    });
  }

  private track(record: ApprovalRecord, signal: Signal): void {
    const ms = Math.max(0, record.expires_at.getTime() - this.clock());
    const timer = setTimeout(() => void this.expire(record.id), ms);
    timer.unref?.();
    this.approvals.set(record.id, { record, signal, timer });
  }

  private async expire(id: string): Promise<void> {
    const a = this.approvals.get(id);
    if (!a) return;
    const won = await this.decide(id, 'expired', 'system');
    if (!won) return;
    await this.opts.store?.upsertSignal(signalRecord(a.signal, 'approval_expired', null, this.opts.tradingMode));
    await this.opts.publisher.publish({ type: 'approval_decided', approvalId: id, outcome: { kind: 'expired' }, by: null });
  }

  /** First decision wins: the store's compare-and-set when there is a store, else this process. */
  async decide(id: string, to: ApprovalRecord['status'], by: string): Promise<boolean> {
    const a = this.approvals.get(id);
    if (!a || a.record.status !== 'pending') return false;
    if (this.opts.store) {
      const won = await this.opts.store.decideApproval(id, 'pending', to, by);
      if (!won) return false;
    }
    a.record.status = to;
    a.record.decided_by = by;
    if (a.timer) clearTimeout(a.timer);
    return true;
  }

  approval(id: string) {
    return this.approvals.get(id) ?? null;
  }

  pendingApprovalCount(): number {
    let n = 0;
    for (const a of this.approvals.values()) if (a.record.status === 'pending') n++;
    return n;
  }

  private async restoreApprovals(): Promise<void> {
    const store = this.opts.store;
    if (!store) return;
    for (const rec of await store.pendingApprovals()) {
      const signal = rec.payload as Signal;
      if (rec.expires_at.getTime() <= this.clock()) {
        if (await store.decideApproval(rec.id, 'pending', 'expired', 'restart')) {
          await store.upsertSignal(signalRecord(signal, 'approval_expired', null, this.opts.tradingMode));
        }
        continue;
      }
      this.track(rec, signal);
    }
  }

  /** Adopts what the exchange has; closes out what only the store thinks is open. */
  private async reconcile(): Promise<void> {
    const { exchange, store, logger } = this.opts;
    const positions = await exchange.positions();
    const onExchange = new Set(positions.filter((p) => p.size > 0).map((p) => p.symbol));
    if (store) {
      for (const t of await store.openTrades(this.opts.tradingMode)) {
        if (!onExchange.has(t.symbol)) {
          logger.warn({ symbol: t.symbol, trade: t.id }, 'reconcile: store had an open trade the exchange does not; closing it out');
          await store.upsertTrade({ ...t, exit_time: new Date(this.clock()), exit_reason: 'reconciled' });
        }
      }
    }
    for (const p of positions) {
      if (p.size <= 0) continue;
      if (p.stopLoss === null || p.stopLoss === 0) {
        // Never leave a position unprotected: a stop at 2 % adverse until the session manages it.
        const stop = p.direction === 'long' ? p.entryPrice * 0.98 : p.entryPrice * 1.02;
        await exchange.setTradingStop(p.symbol, stop);
        logger.warn({ symbol: p.symbol, stop }, 'reconcile: position had no stop; placed one');
      }
      this.session.adoptPosition({
        symbol: p.symbol, direction: p.direction, qty: p.size, entryPrice: p.entryPrice, leverage: p.leverage || 1,
        stopLoss: p.stopLoss || (p.direction === 'long' ? p.entryPrice * 0.98 : p.entryPrice * 1.02),
        takeProfit: p.takeProfit ?? null, time: this.clock(),
      });
      logger.warn({ symbol: p.symbol, size: p.size }, 'reconcile: adopted open position from the exchange');
    }
  }

  private async warmUp(symbols: string[] = this.opts.symbols): Promise<void> {
    const p = this.opts.params;
    const base = TF_MS[this.opts.baseTf];
    let need = 0;
    for (const s of symbols) {
      const c = coinConfig(s, this.opts.coins);
      need = Math.max(need, TF_MS[c.htf_timeframe] * (p.ema_slow + 5), TF_MS[c.mtf_timeframe] * (p.correlation_bars + 20), 3_600_000 * (p.correlation_bars + 2));
    }
    const to = Math.floor(this.clock() / base) * base;
    const from = to - need;
    for (const symbol of symbols) {
      const candles = await this.opts.exchange.klines(symbol, this.opts.baseTf, from, to);
      for (const c of candles) {
        this.opts.ml?.observe(symbol, c);
        this.session.warmUp(symbol, c);
      }
      if (candles.length) {
        this.lastPrice.set(symbol, candles[candles.length - 1].close);
        this.lastCandleAt = this.clock();
        this.lastCandleTime = candles[candles.length - 1].ts + base;
      }
      this.log.info({ symbol, candles: candles.length }, 'warm-up done');
    }
  }

  /**
   * Coin universe: adds coins to the running bot — each gets `coins[symbol]` or the default coin
   * config, is warmed up by REST like at start (when backfilling), then streamed. Coins already
   * traded are skipped; returns the ones added. The venue must support adding symbols mid-stream.
   */
  async addSymbols(symbols: string[], coins: Record<string, CoinConfig> = {}): Promise<string[]> {
    const fresh = [...new Set(symbols)].filter((s) => !this.opts.symbols.includes(s));
    if (!fresh.length || this.stopping) return [];
    const ex = this.opts.exchange as ExchangePort & Partial<SymbolStreamer>;
    if (typeof ex.addSymbols !== 'function') throw new Error(`the ${ex.name} venue cannot add coins while streaming`);
    for (const i of await ex.instruments(fresh)) this.instruments.set(i.symbol, i);
    const configs = Object.fromEntries(fresh.map((s) => [s, coins[s] ?? coinConfig(s, this.opts.coins)]));
    this.opts.coins = { ...this.opts.coins, ...configs };
    // Not yet in `symbols`, so no candle of these coins reaches the session before its warm-up.
    // A coin the session already has (an earlier attempt failed to subscribe) is not fed twice.
    const known = this.session.warnings.length;
    const cold = fresh.filter((s) => this.session.addSymbol(s, configs[s]));
    for (const w of this.session.warnings.slice(known)) this.log.warn(w);
    if (this.opts.backfill && cold.length) await this.warmUp(cold);
    this.opts.symbols = [...this.opts.symbols, ...fresh];
    try {
      await ex.addSymbols(fresh);
    } catch (err) {
      this.opts.symbols = this.opts.symbols.filter((s) => !fresh.includes(s));
      throw err;
    }
    this.log.info({ symbols: fresh }, 'coin universe: streaming added coins');
    return fresh;
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const a of this.approvals.values()) if (a.timer) clearTimeout(a.timer);
    await this.opts.exchange.close();
    await this.chain;
    await this.opts.store?.flush().catch(() => undefined);
  }
}

function toVenueFill(f: Fill): VenueFill {
  const reduce = f.reduceOnly ?? false;
  return {
    execId: f.execId, orderId: f.orderLinkId || f.orderId, symbol: f.symbol, reduce, qty: f.qty, price: f.price, fee: f.fee,
    isMaker: f.isMaker, time: f.time,
    trigger: f.trigger ?? (reduce ? 'close' : f.isMaker ? 'limit' : 'market'),
  };
}
