// Writes candles in the loader's format (`ts,open,high,low,close,volume`), gzipped when the path
// ends in .gz. Numbers are written with JS's shortest round-trip form, so loading the file back
// gives the same doubles. Written to a temp file and renamed, so a crash never leaves half a file.
import { renameSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Candle, CandleSeries } from '../../engine/types.js';
import { CSV_HEADER } from './csv-parse.js';

/** CSV text of the candles (header + one row each, trailing newline). */
export function candleCsv(candles: readonly Candle[] | CandleSeries): string {
  const rows: string[] = [CSV_HEADER];
  if (Array.isArray(candles)) {
    for (const c of candles as readonly Candle[]) rows.push(`${c.ts},${c.open},${c.high},${c.low},${c.close},${c.volume}`);
  } else {
    const s = candles as CandleSeries;
    for (let i = 0; i < s.length; i++) rows.push(`${s.ts[i]},${s.open[i]},${s.high[i]},${s.low[i]},${s.close[i]},${s.volume[i]}`);
  }
  return rows.join('\n') + '\n';
}

export function writeCandleCsv(path: string, candles: readonly Candle[] | CandleSeries): void {
  const text = Buffer.from(candleCsv(candles), 'latin1');
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, path.endsWith('.gz') ? gzipSync(text) : text);
  renameSync(tmp, path);
}
