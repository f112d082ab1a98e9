// The training dataset: one CSV row per traded signal with its features (schema order), its time and
// its outcome. ml/train.py reads exactly this header and refuses anything else.
//   time,symbol,direction,<FEATURE_SCHEMA.names>,pnl,win
// time: ISO 8601 UTC of the signal (its candle's close); pnl: net PnL in % of margin (fees and funding
// included); win: 1 when that net PnL is positive, else 0. Missing feature values (NaN) are empty cells.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FEATURE_COUNT, FEATURE_SCHEMA } from '../../engine/features.js';
import type { Direction } from '../../engine/types.js';

export interface DatasetRow {
  /** Signal time, ms UTC. */
  time: number;
  symbol: string;
  direction: Direction;
  features: Float64Array;
  /** Net PnL of the trade in % of margin. */
  pnl: number;
}

export const DATASET_HEADER: readonly string[] = ['time', 'symbol', 'direction', ...FEATURE_SCHEMA.names, 'pnl', 'win'];

function checkRow(r: DatasetRow, k: number): void {
  const where = `dataset row ${k + 1} (${r.symbol} ${r.direction} at ${Number.isFinite(r.time) ? new Date(r.time).toISOString() : r.time})`;
  if (!Number.isFinite(r.time)) throw new Error(`${where}: time must be a finite epoch in ms`);
  if (!/^[A-Za-z0-9._-]+$/.test(r.symbol)) throw new Error(`${where}: symbol must be letters, digits, '.', '_' or '-'`);
  if (r.direction !== 'long' && r.direction !== 'short') throw new Error(`${where}: direction must be "long" or "short"`);
  if (r.features.length !== FEATURE_COUNT) {
    throw new Error(`${where}: has ${r.features.length} features, schema v${FEATURE_SCHEMA.version} has ${FEATURE_COUNT}`);
  }
  if (!Number.isFinite(r.pnl)) throw new Error(`${where}: pnl must be a finite number`);
}

/** Shortest text that reads back to the same double; '' for a missing value. */
function cell(x: number): string {
  return Number.isNaN(x) ? '' : String(x);
}

/** The dataset as CSV text, rows in time order (ties keep the given order). */
export function datasetCsv(rows: readonly DatasetRow[]): string {
  rows.forEach(checkRow);
  const sorted = rows.map((r, i) => ({ r, i })).sort((a, b) => a.r.time - b.r.time || a.i - b.i);
  const lines = [DATASET_HEADER.join(',')];
  for (const { r } of sorted) {
    const f = Array.from(r.features, cell).join(',');
    lines.push(`${new Date(r.time).toISOString()},${r.symbol},${r.direction},${f},${r.pnl},${r.pnl > 0 ? 1 : 0}`);
  }
  return lines.join('\n') + '\n';
}

/** Writes the dataset (creating the folder); returns the number of rows. */
export function writeDataset(path: string, rows: readonly DatasetRow[]): number {
  const text = datasetCsv(rows);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return rows.length;
}
