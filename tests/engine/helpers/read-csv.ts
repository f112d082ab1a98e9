// Test-only reader for the shared OHLCV files (ts,open,high,low,close,volume; gzipped or plain).
// Kept deliberately naive (split + Number) so it is an independent check of the engine's inputs.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Candle } from '../../../engine/types.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Path of a file in the shared data folder, e.g. `binance-spot/BTCUSDT-1h.csv.gz`. */
export function dataFile(rel: string): string {
  return resolve(repoRoot, '../shared/data/ohlcv', rel);
}

export function readCandles(rel: string, limit = Infinity): Candle[] {
  const path = dataFile(rel);
  const raw = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  const lines = text.split('\n');
  const out: Candle[] = [];
  for (let i = 1; i < lines.length && out.length < limit; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const f = line.split(',').map(Number);
    out.push({ ts: f[0], open: f[1], high: f[2], low: f[3], close: f[4], volume: f[5] });
  }
  return out;
}
