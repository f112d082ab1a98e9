// `smc backtest --store`: a backtest's trades, signals and ml_features as store rows with source
// 'backtest' and the run's fingerprint (run_id). Ids are derived from the engine ids and the run
// (records.ts uuidFor), so running the same backtest again upserts the same rows instead of adding
// copies, while a backtest with another config, window, coin list or data keeps its own rows.
import { createHash } from 'node:crypto';
import type { CandleSeries } from '../../engine/types.js';
import type { Store, MlFeatureRecord, SignalRecord, TradeRecord } from '../storage/store.js';
import { closedTradeRecord, signalRecord, uuidFor } from '../runtime/records.js';
import { mlFeatureRecord } from '../ml/signal-scoring.js';
import type { BacktestResult } from './run.js';

export const BACKTEST_SOURCE = 'backtest';

/** A run id as backtestRunId makes it: 16 hex digits. */
export const RUN_ID_PATTERN = /^[0-9a-f]{16}$/;

export interface BacktestRows {
  trades: TradeRecord[];
  signals: SignalRecord[];
  mlFeatures: MlFeatureRecord[];
}

export interface BacktestRunInput {
  /** Everything that shapes the trades: engine params, coin configs, ML settings (summary.json `config`). */
  config: unknown;
  /** The model that filtered the signals (its description), or null without one. */
  model?: string | null;
  /** The candles the backtest ran on: symbols, timeframe, window and the prices themselves. */
  series: readonly CandleSeries[];
}

/** JSON with object keys sorted at every level, so the same config always gives the same text. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * The backtest's run fingerprint: a hash of its config, its model, and its data (each symbol's
 * timeframe, window and candles). The same backtest on the same candles always gets the same id;
 * changing a `--set` value, the window, the coin list or the data file gives another one.
 */
export function backtestRunId(input: BacktestRunInput): string {
  const h = createHash('sha256');
  h.update(canonicalJson({ config: input.config, model: input.model ?? null }));
  for (const s of [...input.series].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0))) {
    h.update(`\n${s.symbol}|${s.tf}|${s.length}|`);
    for (const a of [s.ts, s.open, s.high, s.low, s.close, s.volume]) {
      const used = a.subarray(0, s.length);
      h.update(new Uint8Array(used.buffer, used.byteOffset, used.byteLength));
    }
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * Every trade and signal; an ml_features row for every signal whose features were computed (runs with
 * ML scoring). A trade cut by the end of the data keeps outcome null there, as in the --dataset file:
 * its exit is an artefact of the window, not a result the model should learn from.
 */
export function backtestRows(r: BacktestResult, run: string, source = BACKTEST_SOURCE): BacktestRows {
  if (!RUN_ID_PATTERN.test(run)) throw new Error(`backtest run id "${run}" is not 16 hex digits (backtestRunId)`);
  const rowId = (kind: string, engineId: string) => uuidFor(kind, engineId, source, run);
  const tradeById = new Map(r.trades.map((t) => [t.id, t]));
  const mlFeatures: MlFeatureRecord[] = [];
  for (const s of r.signals) {
    const f = r.features.get(s.signal.id);
    if (!f) continue;
    const t = s.tradeId ? tradeById.get(s.tradeId) : undefined;
    const labelled = t && t.exitReason !== 'end_of_data' ? t : null;
    mlFeatures.push({
      ...mlFeatureRecord(rowId('ml_features', s.signal.id), t ? rowId('trade', t.id) : null, s.signal, f, labelled, source),
      run_id: run,
    });
  }
  return {
    // records.ts builds the runtime's ids; a backtest's rows get the run's ids instead.
    trades: r.trades.map((t) => ({
      ...closedTradeRecord(t, source), id: rowId('trade', t.id), signal_id: rowId('signal', t.signal.id), run_id: run,
    })),
    signals: r.signals.map((s) => ({
      ...signalRecord(s.signal, s.fate, s.tradeId, source),
      id: rowId('signal', s.signal.id), trade_id: s.tradeId ? rowId('trade', s.tradeId) : null, run_id: run,
    })),
    mlFeatures,
  };
}

export interface StoredBacktest {
  run: string;
  trades: number;
  signals: number;
  ml_features: number;
}

/** Writes the rows of run `run` (upserts); returns how many went into each table. */
export async function writeBacktestToStore(store: Store, r: BacktestResult, run: string): Promise<StoredBacktest> {
  const rows = backtestRows(r, run);
  await store.upsertTrades(rows.trades);
  await store.upsertSignals(rows.signals);
  await store.upsertMlFeaturesBatch(rows.mlFeatures);
  await store.flush();
  return { run, trades: rows.trades.length, signals: rows.signals.length, ml_features: rows.mlFeatures.length };
}
