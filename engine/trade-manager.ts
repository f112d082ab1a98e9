// Management of one open trade (SPEC §3 "Trade management"): break-even, trailing stop, take
// profit / stop loss and the time exit, decided candle by candle. Pure: it only returns decisions;
// the venue (simulated broker or the exchange holding the attached TP/SL) executes them.
import type { EngineParams } from './params.js';
import type { Candle, Direction, ExitReason } from './types.js';

export interface TradeManagerInit {
  direction: Direction;
  /** Average fill price of the entry. */
  entryPrice: number;
  /** Time of the entry fill (ms UTC). Candles that opened before it are not managed. */
  entryTime: number;
  takeProfit: number;
  /** Initial stop loss. */
  stopLoss: number;
  /** Target distance in price; defaults to |takeProfit − entryPrice|. */
  tpDistance?: number;
  maxDurationMinutes: number;
  params: Pick<EngineParams, 'breakeven_progress' | 'trailing_factor' | 'time_exit_small_loss_fraction' | 'taker_fee'>;
}

export type StopMoveReason = 'break_even' | 'trailing';

export type TradeAction =
  | { type: 'move_stop'; stop: number; reason: StopMoveReason }
  | { type: 'exit'; reason: ExitReason; price: number };

export type StopPhase = 'initial' | 'break_even' | 'trailing';

/**
 * Call `onCandle` with every closed base candle after the entry. Within one candle:
 * 1. The stop and target in force at the candle's OPEN are checked with its open/high/low:
 *    open beyond the stop (gap) → exit at the open; open beyond the target → exit at the open;
 *    low/high through the stop → exit at the stop; through the target → take_profit at the target.
 *    When one candle touches both, the stop is assumed hit first.
 * 2. Time exit at the candle's close once max_trade_duration_minutes have passed since the entry:
 *    in profit (close beyond entry) → time_exit_profit; loss smaller than
 *    time_exit_small_loss_fraction × target → time_exit_small_loss; else keep (re-checked on
 *    every later candle).
 * 3. Only then this candle's favourable extreme (high for a long, low for a short) updates the
 *    progress and the stop for the NEXT candle: progress = unlevered profit % / target %; at
 *    ≥ breakeven_progress the stop goes to break-even (entry ± round-trip taker fees) and trailing
 *    starts at best price ∓ trailing_factor × initial stop distance. The stop never loosens. A new
 *    stop that the candle's close already crossed cannot be placed on an exchange, so it becomes an
 *    exit at the close instead.
 * MFE/MAE are unlevered % magnitudes (both ≥ 0). On the exit candle only the exit price counts,
 * because the path after the exit inside that candle is unknown.
 */
export class TradeManager {
  readonly direction: Direction;
  readonly takeProfit: number;
  readonly initialStop: number;
  readonly entryTime: number;
  private entry: number;
  private readonly tpDist: number;
  private initialStopDist: number;
  private currentStop: number;
  private stopPhase: StopPhase = 'initial';
  private best: number;
  private worst: number;
  private lastTime: number;
  private exitReason: ExitReason | null = null;
  private readonly maxDurationMs: number;
  private readonly p: TradeManagerInit['params'];

  constructor(init: TradeManagerInit) {
    const sign = init.direction === 'long' ? 1 : -1;
    if (!(init.entryPrice > 0)) throw new Error(`trade manager: entry price must be > 0 (got ${init.entryPrice})`);
    if (!((init.takeProfit - init.entryPrice) * sign > 0)) {
      throw new Error(`trade manager: take profit ${init.takeProfit} is not on the profit side of the ${init.direction} entry ${init.entryPrice}`);
    }
    if (!((init.entryPrice - init.stopLoss) * sign > 0)) {
      throw new Error(`trade manager: stop ${init.stopLoss} is not on the loss side of the ${init.direction} entry ${init.entryPrice}`);
    }
    this.direction = init.direction;
    this.entry = init.entryPrice;
    this.entryTime = init.entryTime;
    this.lastTime = init.entryTime;
    this.takeProfit = init.takeProfit;
    this.initialStop = init.stopLoss;
    this.currentStop = init.stopLoss;
    this.tpDist = init.tpDistance && init.tpDistance > 0 ? init.tpDistance : Math.abs(init.takeProfit - init.entryPrice);
    this.initialStopDist = Math.abs(init.entryPrice - init.stopLoss);
    this.best = init.entryPrice;
    this.worst = init.entryPrice;
    this.maxDurationMs = init.maxDurationMinutes * 60_000;
    this.p = init.params;
  }

  get entryPrice(): number {
    return this.entry;
  }

  /** The stop in force now (the one the exchange must hold). */
  get stop(): number {
    return this.currentStop;
  }

  /** The stop to keep attached to the exchange position. */
  get stopForExchange(): number {
    return this.currentStop;
  }

  get phase(): StopPhase {
    return this.stopPhase;
  }

  get exited(): ExitReason | null {
    return this.exitReason;
  }

  /** Break-even level: entry plus the round-trip taker fees (long), minus for a short. */
  get breakEvenPrice(): number {
    return this.direction === 'long' ? this.entry * (1 + 2 * this.p.taker_fee) : this.entry * (1 - 2 * this.p.taker_fee);
  }

  /** Best progress reached, as a fraction of the target distance. */
  get progress(): number {
    return (this.sign * (this.best - this.entry)) / this.tpDist;
  }

  get mfePercent(): number {
    return Math.max(0, (this.sign * (this.best - this.entry)) / this.entry) * 100;
  }

  get maePercent(): number {
    return Math.max(0, (this.sign * (this.entry - this.worst)) / this.entry) * 100;
  }

  get durationMinutes(): number {
    return (this.lastTime - this.entryTime) / 60_000;
  }

  /**
   * A trade resumed after a restart whose stop had already moved (break-even or trailing): the
   * stop on the exchange becomes the stop in force. Only ever tightens; the phase follows from
   * where it stands, and a trailing stop implies at least the best price it trailed from.
   */
  resumeStop(stop: number): void {
    const s = this.sign;
    if (!(s * (stop - this.currentStop) > 0)) return;
    this.currentStop = stop;
    if (!(s * (stop - this.entry) > 0)) return;
    this.stopPhase = s * (stop - this.breakEvenPrice) > 0 ? 'trailing' : 'break_even';
    if (this.stopPhase === 'trailing') {
      const impliedBest = stop + s * this.p.trailing_factor * this.initialStopDist;
      if (s * (impliedBest - this.best) > 0) this.best = impliedBest;
    }
  }

  /** Partial fills: the average entry changed. The stop distance follows; the stop does not move. */
  setEntryPrice(price: number): void {
    if (!(price > 0)) throw new Error(`trade manager: entry price must be > 0 (got ${price})`);
    this.entry = price;
    this.initialStopDist = Math.abs(price - this.initialStop);
    if (this.stopPhase === 'initial') {
      this.best = this.sign > 0 ? Math.max(this.best, price) : Math.min(this.best, price);
      this.worst = this.sign > 0 ? Math.min(this.worst, price) : Math.max(this.worst, price);
    }
  }

  /**
   * What a stop fill means now: stop_loss (initial stop), break_even (at the break-even level,
   * not trailed beyond it) or trailing_stop.
   */
  stopExitReason(): ExitReason {
    if (this.stopPhase === 'initial') return 'stop_loss';
    return this.stopPhase === 'break_even' ? 'break_even' : 'trailing_stop';
  }

  /**
   * The venue filled an exit the manager did not decide itself (the exchange's TP/SL, a manual
   * close): counts the exit price in MFE/MAE and the duration, and stops further decisions.
   */
  recordExit(price: number, time: number, reason: ExitReason): void {
    if (this.exitReason) return;
    this.lastTime = Math.max(this.lastTime, time);
    this.exit(reason, price);
  }

  /** One closed base candle; `closeTime` is when it closed (its ts + timeframe). */
  onCandle(c: Candle, closeTime: number): TradeAction[] {
    if (this.exitReason || c.ts < this.entryTime) return [];
    this.lastTime = closeTime;
    const hit = this.protectionHit(c);
    if (hit) return [this.exit(hit.reason, hit.price)];

    this.track(c.high, c.low);
    if (closeTime - this.entryTime >= this.maxDurationMs) {
      const timeExit = this.timeExit(c.close);
      if (timeExit) return [this.exit(timeExit, c.close)];
    }
    return this.advanceStop(c.close);
  }

  private get sign(): number {
    return this.direction === 'long' ? 1 : -1;
  }

  private protectionHit(c: Candle): { reason: ExitReason; price: number } | null {
    const s = this.sign;
    const stop = this.currentStop;
    const tp = this.takeProfit;
    // "beyond" in the trade's favour is positive.
    if (s * (c.open - stop) <= 0) return { reason: this.stopExitReason(), price: c.open };
    if (s * (c.open - tp) >= 0) return { reason: 'take_profit', price: c.open };
    const adverse = s > 0 ? c.low : c.high;
    const favourable = s > 0 ? c.high : c.low;
    if (s * (adverse - stop) <= 0) return { reason: this.stopExitReason(), price: stop };
    if (s * (favourable - tp) >= 0) return { reason: 'take_profit', price: tp };
    return null;
  }

  private timeExit(close: number): ExitReason | null {
    const move = this.sign * (close - this.entry);
    if (move > 0) return 'time_exit_profit';
    if (-move < this.p.time_exit_small_loss_fraction * this.tpDist) return 'time_exit_small_loss';
    return null;
  }

  private advanceStop(close: number): TradeAction[] {
    const s = this.sign;
    if (this.stopPhase === 'initial' && this.progress < this.p.breakeven_progress) return [];
    const be = this.breakEvenPrice;
    const trail = this.best - s * this.p.trailing_factor * this.initialStopDist;
    // Candidate: the better of break-even and the trail; never looser than the current stop.
    const candidate = s * (trail - be) > 0 ? trail : be;
    if (s * (candidate - this.currentStop) <= 0) {
      if (this.stopPhase === 'initial') this.stopPhase = 'break_even';
      return [];
    }
    const phase: StopPhase = s * (candidate - be) > 0 ? 'trailing' : 'break_even';
    this.currentStop = candidate;
    this.stopPhase = phase;
    if (s * (close - candidate) <= 0) return [this.exit(this.stopExitReason(), close)];
    return [{ type: 'move_stop', stop: candidate, reason: phase === 'trailing' ? 'trailing' : 'break_even' }];
  }

  private track(high: number, low: number): void {
    const fav = this.sign > 0 ? high : low;
    const adv = this.sign > 0 ? low : high;
    if (this.sign * (fav - this.best) > 0) this.best = fav;
    if (this.sign * (adv - this.worst) < 0) this.worst = adv;
  }

  private exit(reason: ExitReason, price: number): TradeAction {
    this.exitReason = reason;
    this.track(price, price);
    return { type: 'exit', reason, price };
  }
}
