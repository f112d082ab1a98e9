// `smc ml export`: the store's ml_features rows (live and backtested trades with their outcome) as a
// training dataset. The signal id (`SYMBOL-direction-closeTimeMs`, engine/analyzer.ts) carries the
// symbol, direction and time; rows without an outcome (trade still open) or of another feature schema
// are left out and counted.
import { FEATURE_SCHEMA, recordToFeatures } from '../../engine/features.js';
import type { Direction } from '../../engine/types.js';
import type { MlFeatureRecord } from '../storage/store.js';
import type { DatasetRow } from './dataset.js';

export interface ExportResult {
  rows: DatasetRow[];
  skippedOpen: number;
  skippedOtherSchema: number;
}

const SIGNAL_ID = /^(.+)-(long|short)-(\d+)$/;

export function datasetFromMlFeatures(records: readonly MlFeatureRecord[]): ExportResult {
  const out: ExportResult = { rows: [], skippedOpen: 0, skippedOtherSchema: 0 };
  for (const r of records) {
    if (r.schema_version !== FEATURE_SCHEMA.version) {
      out.skippedOtherSchema++;
      continue;
    }
    if (r.outcome === null || r.pnl_percent === null) {
      out.skippedOpen++;
      continue;
    }
    const features = recordToFeatures(r.features);
    const m = r.signal_id ? SIGNAL_ID.exec(r.signal_id) : null;
    const isLong = features[FEATURE_SCHEMA.names.indexOf('is_long')];
    const direction: Direction = m ? (m[2] as Direction) : isLong === 1 ? 'long' : 'short';
    out.rows.push({
      time: m ? Number(m[3]) : r.created_at.getTime(),
      symbol: m ? m[1]! : 'UNKNOWN',
      direction,
      features,
      pnl: r.pnl_percent,
    });
  }
  return out;
}
