// Everything the engine knows about one timeframe of one symbol, updated one CLOSED candle at a
// time: indicators first, then the SMC detectors. Nothing recomputes history; detectors read a
// small ring of recent candles. Order inside one update (it decides what a candle may see):
//   1. zones the candle kills (OB mitigation, FVG fill) — only zones confirmed before it;
//   2. BOS/CHoCH against the swings confirmed before it;
//   3. a new order block (impulse measured against the ATR of the previous candle) and a new FVG;
//   4. liquidity sweeps against the swings confirmed before it;
//   5. the swing whose right side this candle completes, and the market structure it changes.
import { Atr, Ema, Rsi, Sma } from '../indicators/index.js';
import type { EngineParams } from '../params.js';
import { TF_MS, type Timeframe } from '../timeframe.js';
import type { Bias, Candle, FairValueGap, OrderBlock, Side, SwingPoint } from '../types.js';
import { CandleRing } from './candle-ring.js';
import { FvgDetector } from './fvg.js';
import { MarketStructure } from './market-structure.js';
import { OrderBlockDetector } from './order-blocks.js';
import type { SmcSink } from './records.js';
import { SweepDetector } from './sweeps.js';
import { NEW_HIGH, NEW_LOW, SwingDetector } from './swings.js';

export type { SmcRecord, SmcSink, ZoneEnd } from './records.js';

export interface TimeframeStateOptions {
  /** Swings, market structure with BOS/CHoCH, order blocks and FVGs (the mtf's job). */
  structures: boolean;
  /** Swings and liquidity sweeps (the ltf's job). */
  sweeps: boolean;
  /** Receives every record the moment it becomes known, in emission order. */
  sink?: SmcSink;
}

const NONE: readonly never[] = Object.freeze([]);

export class TimeframeState {
  readonly tf: Timeframe;
  /** Candles seen. */
  bars = 0;
  /** Last closed candle (the caller's object; closed candles are never mutated). */
  last: Candle | null = null;
  atr = NaN;
  rsi = NaN;
  emaFast = NaN;
  emaSlow = NaN;
  volumeSma = NaN;
  /** Market structure of this timeframe; neutral when structures are off. */
  structure: Bias = 'neutral';

  private readonly tfMs: number;
  private readonly atrInd: Atr;
  private readonly rsiInd: Rsi;
  private readonly emaFastInd: Ema;
  private readonly emaSlowInd: Ema;
  private readonly volInd: Sma;
  private readonly ring: CandleRing | null;
  private readonly swings: SwingDetector | null;
  private readonly ms: MarketStructure | null;
  private readonly obs: OrderBlockDetector | null;
  private readonly fvgs: FvgDetector | null;
  private readonly sweepDet: SweepDetector | null;
  private readonly sink: SmcSink | undefined;
  private readonly deadObs: OrderBlock[] = [];
  private readonly deadFvgs: FairValueGap[] = [];

  constructor(tf: Timeframe, params: EngineParams, opts: TimeframeStateOptions) {
    checkParams(tf, params);
    this.tf = tf;
    this.tfMs = TF_MS[tf];
    this.atrInd = new Atr(params.atr_period);
    this.rsiInd = new Rsi(params.rsi_period);
    this.emaFastInd = new Ema(params.ema_fast);
    this.emaSlowInd = new Ema(params.ema_slow);
    this.volInd = new Sma(params.volume_sma_period);
    this.sink = opts.sink;
    const needSwings = opts.structures || opts.sweeps;
    this.ring = needSwings
      ? new CandleRing(Math.max(SwingDetector.window(params.swing_length), params.ob_lookback + 1, 3))
      : null;
    this.swings = needSwings ? new SwingDetector(tf, params.swing_length, this.tfMs) : null;
    this.ms = opts.structures ? new MarketStructure(tf) : null;
    this.obs = opts.structures ? new OrderBlockDetector(tf, params.ob_lookback, params.ob_impulse_atr) : null;
    this.fvgs = opts.structures ? new FvgDetector(tf, params.fvg_min_size) : null;
    this.sweepDet = opts.sweeps ? new SweepDetector(tf) : null;
  }

  /** Feeds one CLOSED candle of this timeframe; candles must arrive in strictly increasing time. */
  update(c: Candle): void {
    const prev = this.last;
    if (prev !== null && !(c.ts > prev.ts)) {
      throw new Error(
        `${this.tf} candle at ${when(c.ts)} does not come after the previous one at ${when(prev.ts)}`,
      );
    }
    const prevAtr = this.atr;
    this.atr = this.atrInd.update(c.high, c.low, c.close);
    this.rsi = this.rsiInd.update(c.close);
    this.emaFast = this.emaFastInd.update(c.close);
    this.emaSlow = this.emaSlowInd.update(c.close);
    this.volumeSma = this.volInd.update(c.volume);
    this.last = c;
    const bar = this.bars++;
    if (this.ring !== null) this.detect(c, bar, prevAtr);
  }

  // The detector work is split into a few methods so each gets its own optimisation unit (V8 limits
  // how much it inlines into one function); the rare paths (records, kills) are out of line.
  private detect(c: Candle, bar: number, prevAtr: number): void {
    const ring = this.ring!;
    ring.push(c);
    const closeTime = c.ts + this.tfMs;
    if (this.ms !== null) this.zonesAndStructure(c, ring, prevAtr, closeTime);
    if (this.sweepDet !== null) this.sweeps(c, bar, closeTime);
    const found = this.swings!.update(ring);
    if (found !== 0) this.confirmSwings(found);
  }

  private zonesAndStructure(c: Candle, ring: CandleRing, prevAtr: number, closeTime: number): void {
    const ms = this.ms!;
    const obs = this.obs!;
    const fvgs = this.fvgs!;
    const sink = this.sink;
    if (obs.mitigate(c.low, c.high, this.deadObs)) this.endOrderBlocks(closeTime);
    if (fvgs.fill(c.close, this.deadFvgs)) this.endFvgs(closeTime);
    if (ms.breaksHigh(c.close)) {
      const ev = ms.takeHighBreak(c.ts, closeTime);
      if (sink) sink({ type: 'structure', data: ev });
    }
    if (ms.breaksLow(c.close)) {
      const ev = ms.takeLowBreak(c.ts, closeTime);
      if (sink) sink({ type: 'structure', data: ev });
    }
    const ob = obs.detect(ring, prevAtr, closeTime);
    if (ob !== null && sink) sink({ type: 'order_block', data: ob });
    const g = fvgs.detect(ring, closeTime);
    if (g !== null && sink) sink({ type: 'fvg', data: g });
  }

  private endOrderBlocks(closeTime: number): void {
    const dead = this.deadObs;
    const sink = this.sink;
    for (let i = 0; i < dead.length; i++) {
      const ob = dead[i];
      ob.mitigatedAt = closeTime;
      if (sink) sink({ type: 'ob_mitigated', ts: closeTime, ref: ob });
    }
    while (dead.length > 0) dead.pop();
  }

  private endFvgs(closeTime: number): void {
    const dead = this.deadFvgs;
    const sink = this.sink;
    for (let i = 0; i < dead.length; i++) {
      const g = dead[i];
      g.filledAt = closeTime;
      if (sink) sink({ type: 'fvg_filled', ts: closeTime, ref: g });
    }
    while (dead.length > 0) dead.pop();
  }

  private sweeps(c: Candle, bar: number, closeTime: number): void {
    const sw = this.sweepDet!;
    const swings = this.swings!;
    const sink = this.sink;
    const bull = sw.bullish(bar, c.ts, c.open, c.low, c.close, swings.lastLow, closeTime);
    if (bull !== null && sink) sink({ type: 'sweep', data: bull });
    const bear = sw.bearish(bar, c.ts, c.open, c.high, c.close, swings.lastHigh, closeTime);
    if (bear !== null && sink) sink({ type: 'sweep', data: bear });
  }

  private confirmSwings(found: number): void {
    const swings = this.swings!;
    const ms = this.ms;
    const sink = this.sink;
    if (found & NEW_HIGH) {
      const s = swings.lastHigh!;
      if (sink) sink({ type: 'swing', data: s });
      if (ms !== null) ms.onSwing(s);
    }
    if (found & NEW_LOW) {
      const s = swings.lastLow!;
      if (sink) sink({ type: 'swing', data: s });
      if (ms !== null) ms.onSwing(s);
    }
    if (ms !== null) this.structure = ms.trend;
  }

  /** Live (unmitigated) order blocks of a side, sorted by midpoint with the one nearest to mitigation last. Do not modify. */
  liveOrderBlocks(side: Side): readonly OrderBlock[] {
    const obs = this.obs;
    if (obs === null) return NONE;
    return side === 'bullish' ? obs.bullish.items : obs.bearish.items;
  }

  /** Live (unfilled) fair value gaps of a side, sorted by fill level with the one nearest to filling last. Do not modify. */
  liveFvgs(side: Side): readonly FairValueGap[] {
    const fvgs = this.fvgs;
    if (fvgs === null) return NONE;
    return side === 'bullish' ? fvgs.bullish.items : fvgs.bearish.items;
  }

  /**
   * Far edge of the live order blocks a candle at `price` sits on the live side of: bullish, the
   * highest top among those whose midpoint is ≤ `price` (a candle low); bearish, the lowest bottom
   * among those whose midpoint is ≥ `price` (a candle high). -Infinity / Infinity when none.
   */
  orderBlockEdge(side: Side, price: number): number {
    const obs = this.obs;
    if (obs === null) return side === 'bullish' ? -Infinity : Infinity;
    return side === 'bullish' ? obs.bullish.farthestEdge(price) : obs.bearish.farthestEdge(price);
  }

  /**
   * Far edge of the live fair value gaps on the live side of `price`: bullish, the highest top among
   * gaps whose bottom is ≤ `price` (a candle high); bearish, the lowest bottom among gaps whose top
   * is ≥ `price` (a candle low). -Infinity / Infinity when none.
   */
  fvgEdge(side: Side, price: number): number {
    const fvgs = this.fvgs;
    if (fvgs === null) return side === 'bullish' ? -Infinity : Infinity;
    return side === 'bullish' ? fvgs.bullish.farthestEdge(price) : fvgs.bearish.farthestEdge(price);
  }

  /** Candles since the last sweep of `side`: 0 = the last candle was one; Infinity when none. */
  barsSinceSweep(side: Side): number {
    const sw = this.sweepDet;
    if (sw === null) return Infinity;
    const at = side === 'bullish' ? sw.lastBullBar : sw.lastBearBar;
    return at < 0 ? Infinity : this.bars - 1 - at;
  }

  get lastSwingHigh(): SwingPoint | null {
    return this.swings?.lastHigh ?? null;
  }

  get lastSwingLow(): SwingPoint | null {
    return this.swings?.lastLow ?? null;
  }
}

/** ISO time for messages; tolerates a bad timestamp (that may be the very problem being reported). */
function when(ts: number): string {
  return Number.isFinite(ts) && Math.abs(ts) <= 8.64e15 ? new Date(ts).toISOString() : String(ts);
}

function checkParams(tf: Timeframe, p: EngineParams): void {
  const bad = (key: string, allowed: string, v: unknown) =>
    new Error(`engine parameter ${key} = ${String(v)} is invalid for ${tf}: must be ${allowed}`);
  for (const key of ['swing_length', 'ob_lookback'] as const) {
    const v = p[key];
    if (!Number.isInteger(v) || v < 1) throw bad(key, 'an integer ≥ 1', v);
  }
  for (const key of ['ob_impulse_atr', 'fvg_min_size'] as const) {
    const v = p[key];
    if (!Number.isFinite(v) || v < 0) throw bad(key, 'a finite number ≥ 0', v);
  }
}
