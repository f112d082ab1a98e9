// The backtest: real candles of several symbols, merged in time order, played through the
// simulated broker and the trading session — the same session the live runtime uses.
import { SimBroker } from '../../engine/sim-broker.js';
import { TradingSession, type SessionEvent, type TradeResult } from '../../engine/session.js';
import { TF_MS, type Timeframe } from '../../engine/timeframe.js';
import type { CoinConfig, EngineParams } from '../../engine/params.js';
import type { CandleSeries, FairValueGap, OrderBlock, Side, Signal, SignalFate } from '../../engine/types.js';
import type { SymbolAnalyzer } from '../../engine/analyzer.js';
import { applyCommand } from './sim-venue.js';
import { CandleMerge } from './candle-merge.js';
import type { MlSignalScoring } from '../ml/signal-scoring.js';
import type { DatasetRow } from '../ml/dataset.js';

export interface SignalLog {
  signal: Signal;
  fate: SignalFate;
  tradeId: string | null;
}

/**
 * What the report draws of one symbol's structures. Only these are kept: holding every detected
 * structure (tens of thousands of swings and sweeps) made the garbage collector copy them all.
 */
export interface ChartStructures {
  /** Order blocks and FVGs in the order they became known (their end is set on them when they die). */
  zones: ({ type: 'order_block'; data: OrderBlock } | { type: 'fvg'; data: FairValueGap })[];
  /** Liquidity sweeps as plain numbers: candle open time and swept level, with the side alongside. */
  sweepTs: number[];
  sweepLevel: number[];
  sweepSide: Side[];
}

export interface EquityPoint {
  time: number;
  /** Realized equity plus open positions marked to the last close. */
  equity: number;
  openTrades: number;
}

export interface BacktestInput {
  series: CandleSeries[];
  params: EngineParams;
  coins: Record<string, CoinConfig>;
  mlScore?: (signal: Signal, analyzer: SymbolAnalyzer) => number | null;
  /**
   * ML features and model: fed every closed base candle before the session sees it, computes the
   * features of every signal at its candle (probability only when a model is loaded) and labels
   * traded signals when their trade closes (result.dataset). Replaces `mlScore`.
   */
  ml?: MlSignalScoring;
  mlMinConfidence?: number;
  maxDailyLossPercent?: number;
  /** Collects the structures the report draws, per symbol. */
  collectStructures?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface BacktestResult {
  baseTf: Timeframe;
  symbols: string[];
  from: number;
  to: number;
  baseCandles: number;
  trades: TradeResult[];
  signals: SignalLog[];
  equity: EquityPoint[];
  finalEquity: number;
  structures: Map<string, ChartStructures>;
  warnings: string[];
  events: SessionEvent[];
  /** With `ml`: one row per closed trade (trades cut by the end of the data are left out: no real outcome). */
  dataset: DatasetRow[];
  /** With `ml`: the feature vector of every signal, by signal id (for the store's ml_features). */
  features: Map<string, Float64Array>;
}

const HOUR = 3_600_000;

export function runBacktest(input: BacktestInput): BacktestResult {
  const { series, params } = input;
  if (!series.length) throw new Error('no candle data to backtest');
  const baseTf = series[0].tf;
  for (const s of series) {
    if (s.tf !== baseTf) throw new Error(`mixed base timeframes: ${series[0].symbol} is ${baseTf}, ${s.symbol} is ${s.tf}`);
  }
  const baseMs = TF_MS[baseTf];
  const symbols = series.map((s) => s.symbol);
  const structures = new Map<string, ChartStructures>();
  const ml = input.ml;
  const features = new Map<string, Float64Array>();
  const dataset: DatasetRow[] = [];
  // With ml the hook always runs, so every signal gets its features at its own candle; without a
  // loaded model it returns null and the session behaves exactly as without a hook.
  const mlScore = ml
    ? (s: Signal) => {
        const p = ml.score(s);
        features.set(s.id, ml.features(s));
        return p;
      }
    : input.mlScore;
  const session = new TradingSession({
    params, coins: input.coins, symbols, baseTf, autoExecute: true,
    maxDailyLossPercent: input.maxDailyLossPercent ?? 0,
    mlMinConfidence: input.mlMinConfidence ?? 0,
    mlScore,
    sink: input.collectStructures
      ? (symbol) => {
          const chart: ChartStructures = { zones: [], sweepTs: [], sweepLevel: [], sweepSide: [] };
          structures.set(symbol, chart);
          return (r) => {
            if (r.type === 'order_block' || r.type === 'fvg') chart.zones.push(r);
            else if (r.type === 'sweep') {
              chart.sweepTs.push(r.data.ts);
              chart.sweepLevel.push(r.data.level);
              chart.sweepSide.push(r.data.side);
            }
          };
        }
      : undefined,
  });
  const broker = new SimBroker(params);
  const trades: TradeResult[] = [];
  const signals: SignalLog[] = [];
  const events: SessionEvent[] = [];
  const equity: EquityPoint[] = [];
  const lastClose = new Map<string, { price: number; time: number }>();
  const total = series.reduce((n, s) => n + s.length, 0);
  let done = 0;
  let from = Infinity;
  let to = -Infinity;
  let nextProgress = 0;
  let nextEquityMark = -Infinity;
  const labelled = new Set<string>();
  const mlClosed = (t: TradeResult) => {
    if (!ml || labelled.has(t.id)) return;
    labelled.add(t.id);
    const row = ml.onTradeClosed(t);
    if (row && t.exitReason !== 'end_of_data') dataset.push(row);
  };
  const record = (evs: SessionEvent[]) => {
    for (const e of evs) {
      if (e.type === 'trade_closed') {
        trades.push(e.trade);
        mlClosed(e.trade);
      }
      else if (e.type === 'signal' && e.fate !== 'awaiting_approval') signals.push({ signal: e.signal, fate: e.fate, tradeId: e.tradeId });
      else if (e.type === 'entry_missed') {
        const s = signals.find((x) => x.tradeId === e.tradeId);
        if (s) { s.fate = 'entry_missed'; s.tradeId = null; }
      }
      events.push(e);
    }
  };
  const merge = new CandleMerge(series);
  const stepSym = merge.series;
  const stepCandle = merge.candles;
  /** lastClose's entries by series index (the same objects, without a map lookup per candle). */
  const lastBySeries: ({ price: number; time: number } | undefined)[] = new Array(series.length).fill(undefined);
  while (merge.step()) {
    const t = merge.time;
    const stepN = merge.count;
    // 1) the venue plays this candle against resting orders and protection
    for (let j = 0; j < stepN; j++) {
      const symbol = symbols[stepSym[j]];
      const { fills, funding } = broker.processCandle(symbol, stepCandle[j], baseMs);
      for (let f = 0; f < funding.length; f++) session.onFunding(funding[f].symbol, funding[f].amount);
      for (let f = 0; f < fills.length; f++) session.onFill(fills[f]);
    }
    // A trade closed by this candle's fills is known before the candle closes, as in the live runtime
    // (fills are handled before the candle that follows): the recent win rates of a signal on this
    // candle count it. The events keep their order; only the ML bookkeeping happens earlier.
    const early = ml ? session.drain() : null;
    if (early) for (const e of early.events) if (e.type === 'trade_closed') mlClosed(e.trade);
    // 2) the session manages trades and analyses the closed candle
    for (let j = 0; j < stepN; j++) {
      const symbol = symbols[stepSym[j]];
      const c = stepCandle[j];
      ml?.observe(symbol, c);
      session.onCandle(symbol, c);
      const last = lastBySeries[stepSym[j]];
      if (last) {
        last.price = c.close;
        last.time = t + baseMs;
      } else lastClose.set(symbol, (lastBySeries[stepSym[j]] = { price: c.close, time: t + baseMs }));
    }
    const stepOut = session.endStep(t + baseMs);
    const out = early ? { commands: [...early.commands, ...stepOut.commands], events: [...early.events, ...stepOut.events] } : stepOut;
    if (out.events.length) record(out.events);
    for (let m = 0; m < out.commands.length; m++) applyCommand(broker, out.commands[m], t + baseMs);
    // Checked before counting this step, so the first step prunes too (an empty book): code that has
    // run before the JIT optimises the loop does not make it bail out when it first runs much later.
    if ((done & 0xffff) === 0) broker.prune();
    done += stepN;
    if (t < from) from = t;
    to = t + baseMs;
    if (t + baseMs >= nextEquityMark) {
      equity.push({ time: t + baseMs, equity: markToMarket(session.equity, broker, lastClose), openTrades: session.openTradeCount });
      nextEquityMark = Math.floor((t + baseMs) / HOUR) * HOUR + HOUR;
    }
    if (input.onProgress && done >= nextProgress) {
      input.onProgress(done, total);
      nextProgress = done + 50_000;
    }
  }
  const end = session.closeAllAtEnd(lastClose);
  record(end.events);
  equity.push({ time: to, equity: session.equity, openTrades: 0 });
  input.onProgress?.(total, total);
  return {
    baseTf, symbols, from, to, baseCandles: total, trades, signals, equity, finalEquity: session.equity,
    structures, warnings: session.warnings, events, dataset, features,
  };
}

function markToMarket(realized: number, broker: SimBroker, last: Map<string, { price: number }>): number {
  let eq = realized;
  for (const p of broker.allPositions()) {
    const px = last.get(p.symbol)?.price ?? p.entryPrice;
    eq += (p.direction === 'long' ? 1 : -1) * (px - p.entryPrice) * p.size;
  }
  return eq;
}
