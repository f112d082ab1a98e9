// The trading session: the one decision core shared by backtest, replay, paper, testnet and live.
// It is fed closed base candles and the fills the venue reports, and answers with commands for the
// venue (place/cancel entries, move stops, close) and events (signal fates, trades opened/closed).
// Which venue executes the commands — the simulated broker or Bybit — is the only difference
// between the modes.
import { SymbolAnalyzer, type LtfEvaluation } from './analyzer.js';
import { Aggregator } from './aggregate.js';
import { ReturnsWindow } from './correlation.js';
import { selectSignals } from './selection.js';
import { positionSize } from './sizing.js';
import { TradeManager } from './trade-manager.js';
import { TF_MS, type Timeframe } from './timeframe.js';
import { coinConfig, type CoinConfig, type EngineParams } from './params.js';
import type { TimeframeStateOptions } from './smc/timeframe-state.js';
import type { Candle, Direction, ExitReason, Signal, SignalFate } from './types.js';
import { objectList } from './object-list.js';

export interface InstrumentSpec {
  qtyStep: number;
  minQty: number;
  maxQty: number;
  tickSize: number;
  maxLeverage: number;
}

export interface SessionOptions {
  params: EngineParams;
  coins?: Record<string, CoinConfig>;
  symbols: string[];
  baseTf: Timeframe;
  instruments?: Record<string, InstrumentSpec>;
  /** auto: accepted signals become entries at once; approve: they wait for `openEntry`. */
  autoExecute: boolean;
  /** New entries stop for the rest of the UTC day after losing this % of the day's starting equity; 0 = off. */
  maxDailyLossPercent: number;
  /** Signals whose ML probability is below this are dropped (ml_filter); 0 = off. */
  mlMinConfidence: number;
  /** Scores a signal (win probability 0-100) or null without a model. Synchronous and pure. */
  mlScore?: (signal: Signal, analyzer: SymbolAnalyzer) => number | null;
  sink?: (symbol: string) => TimeframeStateOptions['sink'];
  onEvaluation?: (symbol: string, e: LtfEvaluation) => void;
}

export type SessionCommand =
  | {
      type: 'place_entry'; orderId: string; tradeId: string; symbol: string; direction: Direction; orderType: 'limit' | 'market'; qty: number; price: number; takeProfit: number; stopLoss: number; leverage: number;
      /**
       * A chase after a timed-out limit: the limit it replaces (cancelled by the command just before) and
       * the qty of it the session had counted. On an exchange a fill can race that cancel; the venue
       * sends only `qty` minus what the limit filled beyond `filledQty`, so the entry never exceeds its size.
       */
      replaces?: { orderId: string; filledQty: number };
    }
  | { type: 'cancel_entry'; orderId: string; tradeId: string; symbol: string }
  | { type: 'move_stop'; tradeId: string; symbol: string; stopLoss: number; reason: 'break_even' | 'trailing' }
  | { type: 'close_position'; orderId: string; tradeId: string; symbol: string; reason: ExitReason };

export interface TradeResult {
  id: string;
  signalId: string;
  symbol: string;
  direction: Direction;
  entryTime: number;
  entryPrice: number;
  entryOrderType: 'limit' | 'market' | 'mixed';
  exitTime: number;
  exitPrice: number;
  exitReason: ExitReason;
  qty: number;
  leverage: number;
  takeProfit: number;
  stopLoss: number;
  initialStop: number;
  fees: number;
  funding: number;
  grossPnl: number;
  netPnl: number;
  /** Net PnL as % of the margin used (leveraged return). */
  pnlPercent: number;
  confidence: number;
  mlProbability: number | null;
  factors: string;
  htfBias: string;
  mtfRsi: number;
  marketStructure: string;
  mfePercent: number;
  maePercent: number;
  durationMinutes: number;
  signal: Signal;
}

export type SessionEvent =
  | { type: 'signal'; signal: Signal; fate: SignalFate | 'awaiting_approval'; tradeId: string | null }
  | { type: 'entry_placed'; tradeId: string; signal: Signal; qty: number; price: number; orderType: 'limit' | 'market' }
  | { type: 'trade_opened'; tradeId: string; symbol: string; direction: Direction; price: number; qty: number; leverage: number; stopLoss: number; takeProfit: number; time: number }
  | { type: 'entry_missed'; tradeId: string; signal: Signal; time: number }
  | { type: 'stop_moved'; tradeId: string; symbol: string; direction: Direction; stopLoss: number; reason: 'break_even' | 'trailing'; time: number }
  | { type: 'trade_closed'; trade: TradeResult };

/** A fill as every venue reports it (SimBroker fills and exchange executions map onto this). */
export interface VenueFill {
  execId: string;
  orderId: string;
  symbol: string;
  reduce: boolean;
  qty: number;
  price: number;
  fee: number;
  isMaker: boolean;
  trigger: 'limit' | 'market' | 'take_profit' | 'stop_loss' | 'close';
  time: number;
}

interface LiveTrade {
  id: string;
  signal: Signal;
  symbol: string;
  direction: Direction;
  leverage: number;
  targetQty: number;
  qty: number;
  entryCost: number;
  entryTime: number;
  orderTypes: Set<'limit' | 'market'>;
  fees: number;
  funding: number;
  exitQty: number;
  exitCost: number;
  exitTime: number;
  /** Entry order in flight, if any. */
  entryOrderId: string | null;
  entryPhase: 'limit' | 'market' | 'done';
  entrySeq: number;
  deadline: number;
  manager: TradeManager | null;
  closing: ExitReason | null;
  closeSeq: number;
  /** A close the venue did not place (refused, never sent): asked again on the next candle. */
  retryClose?: ExitReason;
  /** exitQty when the last close was asked (exits before it were the trader's own trims). */
  exitQtyAtClose?: number;
  /** Exits made before this session adopted the trade (a manual partial close while the bot was down). */
  closedBefore?: { qty: number; cost: number };
}

export interface StepOutput {
  commands: SessionCommand[];
  events: SessionEvent[];
}

// The arrays are frozen; the object is not, so it has the hidden class of every other step's output
// (a frozen one made the backtest loop's optimised code bail out at the first step with output).
const NO_OUTPUT: StepOutput = {
  commands: Object.freeze([]) as unknown as SessionCommand[],
  events: Object.freeze([]) as unknown as SessionEvent[],
};

/** A coin the session follows. */
interface TrackedCoin {
  analyzer: SymbolAnalyzer;
  /** Base candles to hourly ones (null when the base is 1h). */
  hourly: Aggregator | null;
  /** Hourly returns, for the correlation filter. */
  returns: ReturnsWindow;
  lastClose: number;
}

export class TradingSession {
  /** Per coin: its analysis and the hourly returns the correlation filter compares (one lookup per candle). */
  private readonly tracked = new Map<string, TrackedCoin>();
  private readonly trades = new Map<string, LiveTrade>();
  private readonly byOrder = new Map<string, LiveTrade>();
  private readonly seenExec = new Set<string>();
  private candidates: { signal: Signal; analyzer: SymbolAnalyzer }[] = objectList();
  /** Coins that get no new entries (left the coin universe); see setScanning. */
  private readonly unscanned = new Set<string>();
  private commands: SessionCommand[] = objectList();
  private events: SessionEvent[] = objectList();
  private readonly baseMs: number;
  // Money and times start as NaN (a double), not as an integer: a field that first holds a small
  // integer and later a fraction changes its hidden class mid-run, and that threw the optimised
  // candle loop back to the interpreter. NaN compares false, so before the first candle nothing differs.
  equity = NaN;
  paused = false;
  private day = -1;
  private dayStartEquity = NaN;
  private dayLocked = false;
  private now = NaN;
  readonly warnings: string[] = [];

  /** The instruments' leverage limits, asked by every coin's analyzer (one function, see AnalyzerOptions). */
  private readonly exchangeMaxLeverage = (symbol: string) => this.opts.instruments?.[symbol]?.maxLeverage;

  constructor(private readonly opts: SessionOptions) {
    this.baseMs = TF_MS[opts.baseTf];
    this.equity = opts.params.initial_equity;
    for (const symbol of opts.symbols) this.track(symbol);
  }

  /**
   * Adds a coin to a running session (coin universe refresh). Warm it up (`warmUp`) before its
   * first `onCandle`. A coin already tracked is left as it is; returns whether it was added.
   */
  addSymbol(symbol: string, coin?: CoinConfig): boolean {
    if (this.tracked.has(symbol)) return false;
    if (coin) this.opts.coins = { ...this.opts.coins, [symbol]: coin };
    this.track(symbol);
    return true;
  }

  /**
   * Coin universe: a coin that left the top N is no longer scanned for new entries; its candles
   * still update the analysis and manage its open trade. `true` scans it again.
   */
  setScanning(symbol: string, scanning: boolean): void {
    if (scanning) this.unscanned.delete(symbol);
    else this.unscanned.add(symbol);
  }

  /** Whether this coin is one of the session's (given at start or added by the coin universe). */
  tracks(symbol: string): boolean {
    return this.tracked.has(symbol);
  }

  isScanning(symbol: string): boolean {
    return this.tracked.has(symbol) && !this.unscanned.has(symbol);
  }

  private track(symbol: string): void {
    const opts = this.opts;
    const coin = coinConfig(symbol, opts.coins);
    const a = new SymbolAnalyzer(symbol, coin, opts.params, {
      baseTf: opts.baseTf,
      exchangeMaxLeverage: this.exchangeMaxLeverage,
      sink: opts.sink?.(symbol),
      onEvaluation: opts.onEvaluation ? (e) => opts.onEvaluation!(symbol, e) : undefined,
    });
    this.warnings.push(...a.warnings);
    this.tracked.set(symbol, {
      analyzer: a,
      hourly: opts.baseTf === '1h' ? null : new Aggregator(opts.baseTf, '1h'),
      returns: new ReturnsWindow(opts.params.correlation_bars),
      lastClose: NaN,
    });
  }

  get openTradeCount(): number {
    return this.trades.size;
  }

  openTrades(): ReadonlyMap<string, LiveTrade> {
    return this.trades;
  }

  get dailyLossLocked(): boolean {
    return this.dayLocked;
  }

  /** Applies one venue fill (idempotent by execId). */
  onFill(f: VenueFill): void {
    if (this.seenExec.has(f.execId)) return;
    this.seenExec.add(f.execId);
    const own = f.reduce ? undefined : this.byOrder.get(f.orderId);
    // A reduce of the position, or an addition to it that no order of the bot made (the trader bought
    // more by hand on the exchange: one-way mode merges it into the bot's position, which the bot's
    // stop and close then cover): both belong to the open trade. An addition while the bot's own
    // entry is still working is not taken (its chase is sized from the bot's own fills).
    const t = own ?? this.trades.get(f.symbol);
    if (!t || (!f.reduce && !own && (t.qty === 0 || t.closing !== null || t.entryPhase !== 'done'))) return;
    t.fees += f.fee;
    if (!f.reduce) {
      if (t.qty === 0) t.entryTime = f.time;
      t.qty += f.qty;
      t.entryCost += f.qty * f.price;
      if (own) t.orderTypes.add(f.trigger === 'limit' ? 'limit' : 'market');
      else t.targetQty += f.qty;
      this.equity -= f.fee;
      if (!t.manager) {
        t.manager = new TradeManager({
          direction: t.direction, entryPrice: f.price, entryTime: f.time,
          takeProfit: t.signal.targets.takeProfit, stopLoss: t.signal.targets.stopLoss,
          tpDistance: t.signal.targets.tpDistance, maxDurationMinutes: coinConfig(t.symbol, this.opts.coins).max_trade_duration_minutes,
          params: this.opts.params,
        });
        this.events.push({
          type: 'trade_opened', tradeId: t.id, symbol: t.symbol, direction: t.direction, price: f.price, qty: f.qty,
          leverage: t.leverage, stopLoss: t.signal.targets.stopLoss, takeProfit: t.signal.targets.takeProfit, time: f.time,
        });
      } else {
        t.manager.setEntryPrice(t.entryCost / t.qty);
      }
      if (t.qty >= t.targetQty - 1e-12) {
        t.entryPhase = 'done';
        t.entryOrderId = null;
      }
      return;
    }
    t.exitQty += f.qty;
    t.exitCost += f.qty * f.price;
    t.exitTime = f.time;
    const entryPx = t.entryCost / t.qty;
    const sign = t.direction === 'long' ? 1 : -1;
    this.equity += sign * (f.price - entryPx) * f.qty - f.fee;
    const closesAll = t.exitQty >= t.qty - 1e-12;
    // A reduce nobody asked the bot for (the trader trimmed the position on the exchange) that leaves
    // some of it open: counted in the trade's PnL, and the rest stays managed (stop moves, time exit).
    if (!t.closing && f.trigger === 'close' && !closesAll) return;
    if (!t.closing) {
      t.closing = f.trigger === 'take_profit' ? 'take_profit'
        : f.trigger === 'stop_loss' ? (t.manager?.stopExitReason() ?? 'stop_loss')
        : 'manual';
    }
    if (closesAll) {
      t.manager?.recordExit(t.exitCost / t.exitQty, f.time, t.closing);
      this.finish(t);
    }
  }

  onFunding(symbol: string, amount: number): void {
    const t = this.trades.get(symbol);
    if (!t) return;
    t.funding += amount;
    this.equity -= amount;
  }

  /**
   * One closed base candle of one symbol, after the venue has reported this candle's fills:
   * manages the open trade, advances a pending entry, then runs the analysis. `c` is only read during
   * the call (a backtest reuses one object per symbol).
   */
  onCandle(symbol: string, c: Candle): void {
    const closeT = c.ts + this.baseMs;
    this.advanceClock(closeT);
    // Most candles come while no trade is open anywhere: no lookup then.
    const t = this.trades.size === 0 ? undefined : this.trades.get(symbol);
    if (t) this.manage(t, c, closeT);
    const coin = this.tracked.get(symbol);
    if (!coin) return;
    this.addToHourly(coin, c);
    const ev = coin.analyzer.onBaseCandle(c);
    if (ev !== null) this.offer(symbol, coin.analyzer, ev);
  }

  /** Hourly closes of `c`'s coin, as returns for the correlation filter. */
  private addToHourly(coin: TrackedCoin, c: Candle): void {
    const agg = coin.hourly;
    for (let hc = agg ? agg.push(c) : c; hc; hc = agg ? agg.next() : null) {
      if (Number.isFinite(coin.lastClose)) coin.returns.push(hc.close / coin.lastClose - 1, hc.ts);
      coin.lastClose = hc.close;
    }
  }

  /** An ltf candle closed: its candidate signal, if any, joins this step's selection. */
  private offer(symbol: string, a: SymbolAnalyzer, ev: LtfEvaluation): void {
    if (this.unscanned.has(symbol)) return;
    const sig = a.candidate(ev);
    if (!sig) return;
    if (this.opts.mlScore) sig.mlProbability = this.opts.mlScore(sig, a);
    this.candidates.push({ signal: sig, analyzer: a });
  }

  /** History before trading starts (live warm-up): indicators and detectors only, no signals. */
  warmUp(symbol: string, c: Candle): void {
    const coin = this.tracked.get(symbol);
    if (!coin) return;
    this.addToHourly(coin, c);
    coin.analyzer.onBaseCandle(c);
  }

  /**
   * Takes over a position found on the exchange at start-up (reconciliation): it is managed like
   * any trade from here on (stop moves, time exit), with its current stop and target.
   */
  adoptPosition(p: {
    symbol: string; direction: Direction; qty: number; entryPrice: number; leverage: number; stopLoss: number; takeProfit: number | null; time: number; initialStop?: number;
    /** Entry fees already paid (a trade resumed after a restart). */ fees?: number;
    /** Funding already settled on the position (equity already holds it). */ funding?: number;
    /**
     * Reduce fills of this trade made before the adoption (closed by hand while the bot was down):
     * `qty` is what is still open; these count in the trade's PnL and fees. Equity already holds them.
     */
    exitsBefore?: { execId: string; qty: number; price: number; fee: number }[];
  }): void {
    if (this.trades.has(p.symbol)) return;
    const sign = p.direction === 'long' ? 1 : -1;
    // A stop already moved into profit (break-even / trailing before a restart) cannot be the
    // manager's initial stop: the loss-side one (`initialStop`, else 2 % adverse) is, and the
    // moved stop is resumed on top of it.
    const lossSide = (x: number | undefined): x is number => x !== undefined && (p.entryPrice - x) * sign > 0;
    const initialStop = lossSide(p.stopLoss) ? p.stopLoss : lossSide(p.initialStop) ? p.initialStop : p.entryPrice * (1 - sign * 0.02);
    const slDistance = Math.abs(p.entryPrice - initialStop);
    const tp = p.takeProfit ?? p.entryPrice + sign * slDistance * 1.5;
    const signal: Signal = {
      id: `adopted-${p.symbol}-${p.time}`, symbol: p.symbol, direction: p.direction, time: p.time, price: p.entryPrice,
      confidence: 0, factors: [], atr: slDistance,
      snapshot: { htf_bias: 'neutral', near_bullish_ob: false, near_bearish_ob: false, in_bullish_fvg: false, in_bearish_fvg: false, bullish_sweep: false, bearish_sweep: false, mtf_rsi: NaN, market_structure: 'neutral' },
      targets: { tpDistance: Math.abs(tp - p.entryPrice), slDistance, takeProfit: tp, stopLoss: initialStop, leverage: p.leverage },
      mlProbability: null,
    };
    const t: LiveTrade = {
      id: `T-${p.symbol}-adopted-${p.time}`, signal, symbol: p.symbol, direction: p.direction, leverage: p.leverage,
      targetQty: p.qty, qty: p.qty, entryCost: p.qty * p.entryPrice, entryTime: p.time, orderTypes: new Set(['market']),
      fees: p.fees ?? 0, funding: p.funding ?? 0, exitQty: 0, exitCost: 0, exitTime: 0, entryOrderId: null, entryPhase: 'done', entrySeq: 0,
      deadline: p.time, closing: null, closeSeq: 0,
      manager: new TradeManager({
        direction: p.direction, entryPrice: p.entryPrice, entryTime: p.time, takeProfit: tp, stopLoss: initialStop,
        tpDistance: Math.abs(tp - p.entryPrice), maxDurationMinutes: coinConfig(p.symbol, this.opts.coins).max_trade_duration_minutes,
        params: this.opts.params,
      }),
    };
    if (initialStop !== p.stopLoss) t.manager!.resumeStop(p.stopLoss);
    for (const f of p.exitsBefore ?? []) {
      if (this.seenExec.has(f.execId)) continue;
      this.seenExec.add(f.execId);
      t.closedBefore ??= { qty: 0, cost: 0 };
      t.closedBefore.qty += f.qty;
      t.closedBefore.cost += f.qty * f.price;
      t.fees += f.fee;
    }
    this.trades.set(p.symbol, t);
  }

  /** Ends the step at `time` (all symbols' candles closing then are in): selects among candidates. */
  endStep(time: number): StepOutput {
    this.advanceClock(time);
    if (this.candidates.length) this.select(time);
    // Most steps produce nothing: answer with a shared empty output instead of new arrays.
    if (this.commands.length === 0 && this.events.length === 0) return NO_OUTPUT;
    const out = { commands: this.commands, events: this.events };
    this.commands = objectList();
    this.events = objectList();
    return out;
  }

  /** Selection among this step's candidates (out of line: most steps have none). */
  private select(time: number): void {
    const p = this.opts.params;
    const open = [...this.trades.values()].map((t) => ({ symbol: t.symbol, direction: t.direction }));
    const decisions = selectSignals(
      this.candidates.map((c) => c.signal),
      {
        minConfidence: (s: string) => coinConfig(s, this.opts.coins).min_confidence,
        openPositions: open,
        maxConcurrent: p.max_concurrent_trades,
        maxCorrelation: p.max_correlation,
        correlation: (a: string, b: string) => this.correlation(a, b),
        paused: this.paused || this.dayLocked,
        mlMinConfidence: this.opts.mlMinConfidence,
      },
    );
    for (const d of decisions) {
      let fate: SignalFate | 'awaiting_approval' = d.fate;
      if (fate === 'paused' && this.dayLocked && !this.paused) fate = 'daily_loss_limit';
      if (fate !== 'executed') {
        this.events.push({ type: 'signal', signal: d.signal, fate, tradeId: null });
        continue;
      }
      if (!this.opts.autoExecute) {
        this.events.push({ type: 'signal', signal: d.signal, fate: 'awaiting_approval', tradeId: null });
        continue;
      }
      const opened = this.openEntry(d.signal, time);
      this.events.push({ type: 'signal', signal: d.signal, fate: opened.ok ? 'executed' : opened.fate, tradeId: opened.ok ? opened.tradeId : null });
    }
    this.candidates.length = 0;
  }

  /** Drains commands/events produced outside a step (fills, approvals, manual closes). */
  drain(): StepOutput {
    const out = { commands: this.commands, events: this.events };
    this.commands = objectList();
    this.events = objectList();
    return out;
  }

  /**
   * Re-checks a signal and places its entry. Used at once in auto mode and after Approve in
   * approve mode, where `price` is the current price (refused when it moved past the chase guard).
   */
  openEntry(signal: Signal, time: number, currentPrice?: number):
    { ok: true; tradeId: string } | { ok: false; fate: SkipFate; detail: string } {
    if (this.paused) return { ok: false, fate: 'paused', detail: 'trading is paused' };
    if (this.dayLocked) return { ok: false, fate: 'daily_loss_limit', detail: 'daily loss limit reached' };
    if (this.trades.has(signal.symbol)) return { ok: false, fate: 'position_open', detail: `${signal.symbol} already has a position` };
    if (this.trades.size >= this.opts.params.max_concurrent_trades) return { ok: false, fate: 'max_positions', detail: 'no free slot' };
    const p = this.opts.params;
    if (currentPrice !== undefined) {
      const moved = (currentPrice - signal.price) * (signal.direction === 'long' ? 1 : -1);
      const guard = p.chase_max_target_fraction * signal.targets.tpDistance;
      const wrongSide = signal.direction === 'long' ? currentPrice <= signal.targets.stopLoss : currentPrice >= signal.targets.stopLoss;
      if (moved >= guard || wrongSide) return { ok: false, fate: 'entry_missed', detail: `price moved to ${currentPrice} (signal ${signal.price})` };
    }
    const { entryPrice, size } = this.entryPlan(signal);
    if (!(size.qty > 0)) return { ok: false, fate: 'insufficient_margin', detail: size.reason ?? 'size is zero' };
    const tradeId = `T-${signal.symbol}-${signal.time}`;
    const t: LiveTrade = {
      id: tradeId, signal, symbol: signal.symbol, direction: signal.direction, leverage: signal.targets.leverage,
      targetQty: size.qty, qty: 0, entryCost: 0, entryTime: 0, orderTypes: new Set(), fees: 0, funding: 0,
      exitQty: 0, exitCost: 0, exitTime: 0, entryOrderId: null, entryPhase: p.use_limit_entry ? 'limit' : 'market',
      entrySeq: 0, deadline: time + p.limit_timeout_seconds * 1000, manager: null, closing: null, closeSeq: 0,
    };
    this.trades.set(signal.symbol, t);
    this.placeEntry(t, p.use_limit_entry ? 'limit' : 'market', size.qty, entryPrice);
    return { ok: true, tradeId };
  }

  /** The entry price and size a signal would get now (what an approval alert shows). */
  entryPlan(signal: Signal): { entryPrice: number; size: ReturnType<typeof positionSize> } {
    const p = this.opts.params;
    const inst = this.opts.instruments?.[signal.symbol];
    const sign = signal.direction === 'long' ? 1 : -1;
    const entryPrice = p.use_limit_entry ? signal.price * (1 - sign * p.limit_offset) : signal.price;
    const size = positionSize({
      equity: this.equity,
      available: this.availableMargin(),
      entry: entryPrice,
      stop: signal.targets.stopLoss,
      leverage: signal.targets.leverage,
      riskPercent: p.risk_per_trade_percent,
      qtyStep: inst?.qtyStep ?? 0,
      minQty: inst?.minQty ?? 0,
      maxQty: inst?.maxQty ?? Infinity,
      takerFee: p.taker_fee,
    });
    return { entryPrice, size };
  }

  /**
   * The venue did not place entry order `orderId` (refused, or never sent), so nothing of it will fill.
   * The trade keeps what its earlier entry order filled — `filledElsewhere` counts fills of that order
   * the session may not have seen yet — or, when nothing filled, is dropped as entry_missed (freeing
   * its slot and its symbol).
   */
  entryNotPlaced(orderId: string, time: number, filledElsewhere = 0): void {
    const t = this.byOrder.get(orderId);
    if (!t || t.entryOrderId !== orderId || this.trades.get(t.symbol) !== t) return;
    t.entryOrderId = null;
    t.entryPhase = 'done';
    t.targetQty = Math.max(t.qty, filledElsewhere);
    if (t.targetQty > 1e-12) return;
    this.trades.delete(t.symbol);
    this.events.push({ type: 'entry_missed', tradeId: t.id, signal: t.signal, time });
  }

  /**
   * The venue did not place close order `orderId` (refused, or never sent) and nothing of it filled:
   * the position is still open, so the close is asked again on the next candle (and /close works).
   */
  exitNotPlaced(orderId: string): void {
    for (const t of this.trades.values()) {
      if (!t.closing || t.exitQty > (t.exitQtyAtClose ?? 0) || orderId !== `${t.id}-x${t.closeSeq}`) continue;
      t.retryClose = t.closing;
      t.closing = null;
    }
  }

  /**
   * After a restart: the UTC day of `time` began with `startEquity` (the day's realised PnL so far is
   * already in `equity`), so the daily loss limit carries over instead of starting again.
   */
  resumeDay(time: number, startEquity: number): void {
    this.day = Math.floor((time - 1) / 86_400_000);
    this.dayStartEquity = startEquity;
    const limit = this.opts.maxDailyLossPercent;
    this.dayLocked = limit > 0 && this.equity <= startEquity * (1 - limit / 100);
  }

  /** Manual close (chat /close). */
  requestClose(symbol: string, reason: ExitReason = 'manual'): boolean {
    const t = this.trades.get(symbol);
    if (!t) return false;
    this.close(t, reason);
    return true;
  }

  private placeEntry(t: LiveTrade, orderType: 'limit' | 'market', qty: number, price: number, replaces?: { orderId: string; filledQty: number }): void {
    const orderId = `${t.id}-e${++t.entrySeq}`;
    t.entryOrderId = orderId;
    t.entryPhase = orderType;
    this.byOrder.set(orderId, t);
    this.commands.push({
      type: 'place_entry', orderId, tradeId: t.id, symbol: t.symbol, direction: t.direction, orderType, qty, price,
      takeProfit: t.signal.targets.takeProfit, stopLoss: t.signal.targets.stopLoss, leverage: t.leverage,
      ...(replaces ? { replaces } : {}),
    });
    this.events.push({ type: 'entry_placed', tradeId: t.id, signal: t.signal, qty, price, orderType });
  }

  private manage(t: LiveTrade, c: Candle, closeT: number): void {
    if (t.retryClose && !t.closing) {
      const reason = t.retryClose;
      t.retryClose = undefined;
      this.close(t, reason);
      return;
    }
    if (t.closing) return;
    // Hybrid entry: after the limit timeout, chase the remainder with a market order only while
    // price has not run away; otherwise keep what filled (or record the miss).
    if (t.entryPhase === 'limit' && closeT >= t.deadline && t.entryOrderId) {
      const p = this.opts.params;
      const limitId = t.entryOrderId;
      this.commands.push({ type: 'cancel_entry', orderId: limitId, tradeId: t.id, symbol: t.symbol });
      t.entryOrderId = null;
      const moved = (c.close - t.signal.price) * (t.direction === 'long' ? 1 : -1);
      const remaining = t.targetQty - t.qty;
      if (moved < p.chase_max_target_fraction * t.signal.targets.tpDistance && remaining > 0) {
        this.placeEntry(t, 'market', remaining, c.close, { orderId: limitId, filledQty: t.qty });
      } else {
        t.entryPhase = 'done';
        t.targetQty = t.qty;
        if (t.qty === 0) {
          this.trades.delete(t.symbol);
          this.events.push({ type: 'entry_missed', tradeId: t.id, signal: t.signal, time: closeT });
          return;
        }
      }
    }
    if (!t.manager || t.qty === 0) return;
    const actions = t.manager.onCandle(c, closeT);
    for (const a of actions) {
      if (a.type === 'move_stop') {
        this.commands.push({ type: 'move_stop', tradeId: t.id, symbol: t.symbol, stopLoss: a.stop, reason: a.reason });
        this.events.push({ type: 'stop_moved', tradeId: t.id, symbol: t.symbol, direction: t.direction, stopLoss: a.stop, reason: a.reason, time: closeT });
      } else if (a.type === 'exit') {
        this.close(t, a.reason);
        return;
      }
    }
  }

  private close(t: LiveTrade, reason: ExitReason): void {
    if (t.closing) return;
    t.closing = reason;
    if (t.entryOrderId) {
      this.commands.push({ type: 'cancel_entry', orderId: t.entryOrderId, tradeId: t.id, symbol: t.symbol });
      t.entryOrderId = null;
    }
    if (t.qty === 0) {
      this.trades.delete(t.symbol);
      return;
    }
    t.exitQtyAtClose = t.exitQty;
    this.commands.push({ type: 'close_position', orderId: `${t.id}-x${++t.closeSeq}`, tradeId: t.id, symbol: t.symbol, reason });
  }

  private finish(t: LiveTrade): void {
    const entryPrice = t.entryCost / t.qty;
    // A trade partly closed before it was adopted: the whole trade is its size and all its exits.
    const before = t.closedBefore;
    const qty = before ? t.qty + before.qty : t.qty;
    const exitPrice = before ? (t.exitCost + before.cost) / (t.exitQty + before.qty) : t.exitCost / t.exitQty;
    const sign = t.direction === 'long' ? 1 : -1;
    const gross = sign * (exitPrice - entryPrice) * qty;
    const net = gross - t.fees - t.funding;
    const margin = (entryPrice * qty) / t.leverage;
    const s = t.signal;
    const m = t.manager;
    const result: TradeResult = {
      id: t.id, signalId: s.id, symbol: t.symbol, direction: t.direction,
      entryTime: t.entryTime, entryPrice,
      entryOrderType: t.orderTypes.size > 1 ? 'mixed' : t.orderTypes.has('limit') ? 'limit' : 'market',
      exitTime: t.exitTime, exitPrice, exitReason: t.closing ?? 'manual', qty, leverage: t.leverage,
      takeProfit: s.targets.takeProfit, stopLoss: m?.stop ?? s.targets.stopLoss, initialStop: s.targets.stopLoss,
      fees: t.fees, funding: t.funding, grossPnl: gross, netPnl: net, pnlPercent: margin > 0 ? (net / margin) * 100 : 0,
      confidence: s.confidence, mlProbability: s.mlProbability, factors: s.factors.map((f) => `${f.factor}:${f.points}`).join(' '),
      htfBias: s.snapshot.htf_bias, mtfRsi: s.snapshot.mtf_rsi, marketStructure: s.snapshot.market_structure,
      mfePercent: m?.mfePercent ?? 0, maePercent: m?.maePercent ?? 0,
      durationMinutes: Math.round((t.exitTime - t.entryTime) / 60_000), signal: s,
    };
    this.trades.delete(t.symbol);
    for (const [id, tr] of this.byOrder) if (tr === t) this.byOrder.delete(id);
    this.events.push({ type: 'trade_closed', trade: result });
  }

  /** Ends every open trade at the last price (backtest end). */
  closeAllAtEnd(lastPrices: Map<string, { price: number; time: number }>): StepOutput {
    const p = this.opts.params;
    for (const t of [...this.trades.values()]) {
      const last = lastPrices.get(t.symbol);
      if (t.qty === 0 || !last) { this.trades.delete(t.symbol); continue; }
      t.closing = 'end_of_data';
      const fee = (t.qty - t.exitQty) * last.price * p.taker_fee;
      this.onFill({
        execId: `eod-${t.id}`, orderId: `eod-${t.id}`, symbol: t.symbol, reduce: true, qty: t.qty - t.exitQty,
        price: last.price, fee, isMaker: false, trigger: 'close', time: last.time,
      });
    }
    return this.drain();
  }

  private correlation(a: string, b: string): number {
    const ra = this.tracked.get(a)?.returns;
    const rb = this.tracked.get(b)?.returns;
    if (!ra || !rb) return 0;
    return ra.correlation(rb);
  }

  private availableMargin(): number {
    let used = 0;
    for (const t of this.trades.values()) {
      const px = t.qty > 0 ? t.entryCost / t.qty : t.signal.price;
      used += (Math.max(t.targetQty, t.qty) * px) / t.leverage;
    }
    return this.equity - used;
  }

  private advanceClock(time: number): void {
    if (time <= this.now) return;
    this.now = time;
    const day = Math.floor((time - 1) / 86_400_000);
    if (day !== this.day) {
      this.day = day;
      this.dayStartEquity = this.equity;
      this.dayLocked = false;
    }
    const limit = this.opts.maxDailyLossPercent;
    if (limit > 0 && !this.dayLocked && this.equity <= this.dayStartEquity * (1 - limit / 100)) this.dayLocked = true;
  }
}

type SkipFate = Exclude<SignalFate, 'executed'>;
