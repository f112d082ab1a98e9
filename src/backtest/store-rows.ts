// `smc backtest --store`: a backtest's trades, signals and ml_features as store rows with source
// 'backtest'. Ids are derived from the engine ids (records.ts uuidFor), so running the same backtest
// again upserts the same rows instead of adding copies.
import type { Store, MlFeatureRecord, SignalRecord, TradeRecord } from '../storage/store.js';
import { closedTradeRecord, signalRecord, uuidFor } from '../runtime/records.js';
import { mlFeatureRecord } from '../ml/signal-scoring.js';
import type { BacktestResult } from './run.js';

export const BACKTEST_SOURCE = 'backtest';

export interface BacktestRows {
  trades: TradeRecord[];
  signals: SignalRecord[];
  mlFeatures: MlFeatureRecord[];
}

/**
 * Every trade and signal; an ml_features row for every signal whose features were computed (runs with
 * ML scoring). A trade cut by the end of the data keeps outcome null there, as in the --dataset file:
 * its exit is an artefact of the window, not a result the model should learn from.
 */
export function backtestRows(r: BacktestResult, source = BACKTEST_SOURCE): BacktestRows {
  const tradeById = new Map(r.trades.map((t) => [t.id, t]));
  const mlFeatures: MlFeatureRecord[] = [];
  for (const s of r.signals) {
    const f = r.features.get(s.signal.id);
    if (!f) continue;
    const t = s.tradeId ? tradeById.get(s.tradeId) : undefined;
    const labelled = t && t.exitReason !== 'end_of_data' ? t : null;
    mlFeatures.push(mlFeatureRecord(
      uuidFor('ml_features', s.signal.id, source), t ? uuidFor('trade', t.id, source) : null, s.signal, f, labelled,
    ));
  }
  return {
    trades: r.trades.map((t) => closedTradeRecord(t, source)),
    signals: r.signals.map((s) => signalRecord(s.signal, s.fate, s.tradeId, source)),
    mlFeatures,
  };
}

/** Writes the rows (upserts); returns how many went into each table. */
export async function writeBacktestToStore(store: Store, r: BacktestResult): Promise<{ trades: number; signals: number; ml_features: number }> {
  const rows = backtestRows(r);
  await store.upsertTrades(rows.trades);
  await store.upsertSignals(rows.signals);
  await store.upsertMlFeaturesBatch(rows.mlFeatures);
  await store.flush();
  return { trades: rows.trades.length, signals: rows.signals.length, ml_features: rows.mlFeatures.length };
}
