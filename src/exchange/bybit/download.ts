// Downloads closed candles into `<out>/<SYMBOL>-<TF>.csv.gz` (the ../shared/data/ohlcv format).
// Resumable: an existing file is read, and only candles after its last row are fetched. The file is
// rewritten atomically after every chunk, so an interrupted run loses at most one chunk.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Candle } from '../../../engine/types.js';
import { bucketStart, TF_MS, type Timeframe } from '../../../engine/timeframe.js';
import { loadCandleFile } from '../../data/load.js';
import { writeCandleCsv } from '../../data/write.js';
import type { ExchangePort } from '../port.js';

export interface DownloadRequest {
  symbols: string[];
  tf: Timeframe;
  days: number;
  outDir: string;
  now: number;
  /** Candles per request/write (Bybit pages hold 1000). */
  chunkCandles?: number;
  onProgress?: (p: { symbol: string; done: number; total: number }) => void;
}

export interface DownloadResult {
  symbol: string;
  file: string;
  existing: number;
  added: number;
  first: number | null;
  last: number | null;
}

export async function downloadCandles(source: Pick<ExchangePort, 'klines'>, r: DownloadRequest): Promise<DownloadResult[]> {
  if (!(r.days > 0)) throw new Error(`--days must be positive, got ${r.days}`);
  mkdirSync(r.outDir, { recursive: true });
  const tfMs = TF_MS[r.tf];
  const end = bucketStart(r.now, r.tf); // open time of the running candle: everything before it is closed
  const start = end - Math.ceil((r.days * 86_400_000) / tfMs) * tfMs;
  const chunk = (r.chunkCandles ?? 1000) * tfMs;
  const out: DownloadResult[] = [];
  for (const symbol of r.symbols) {
    const file = join(r.outDir, `${symbol}-${r.tf}.csv.gz`);
    const candles: Candle[] = existsSync(file) ? seriesToCandles(loadCandleFile(file, { symbol, tf: r.tf })) : [];
    const existing = candles.length;
    const from = existing ? Math.max(start, candles[existing - 1].ts + tfMs) : start;
    const total = Math.max(0, Math.ceil((end - from) / tfMs));
    let done = 0;
    r.onProgress?.({ symbol, done, total });
    for (let t = from; t < end; t += chunk) {
      const got = await source.klines(symbol, r.tf, t, Math.min(end, t + chunk));
      const lastTs = candles.length ? candles[candles.length - 1].ts : -Infinity;
      const fresh = got.filter((c) => c.ts > lastTs);
      candles.push(...fresh);
      if (fresh.length) writeCandleCsv(file, candles);
      done = Math.min(total, Math.ceil((Math.min(end, t + chunk) - from) / tfMs));
      r.onProgress?.({ symbol, done, total });
    }
    out.push({ symbol, file, existing, added: candles.length - existing, first: candles[0]?.ts ?? null, last: candles.at(-1)?.ts ?? null });
  }
  return out;
}

function seriesToCandles(s: ReturnType<typeof loadCandleFile>): Candle[] {
  const out: Candle[] = new Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = { ts: s.ts[i], open: s.open[i], high: s.high[i], low: s.low[i], close: s.close[i], volume: s.volume[i] };
  return out;
}
