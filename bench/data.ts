// Benchmark of the candle data path on the five binance-spot 1m files: load (read + gunzip +
// parse + validate) and aggregation of the 1m base to 5m/15m/1h/4h. Each measurement is the
// fastest of several runs after a warm-up: JIT compilation is not counted, and on a shared machine
// the fastest run is the one least disturbed by other processes.
// Run: `npx tsx bench/data.ts` (prints a table) or via `npm run bench`.
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { aggregateSeries, Aggregator } from '../engine/aggregate.js';
import type { Timeframe } from '../engine/timeframe.js';
import type { CandleSeries } from '../engine/types.js';
import { loadCandleFile } from '../src/data/load.js';
import { benchRow, formatBenchTable, type BenchRow } from './types.js';

const OHLCV = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'shared', 'data', 'ohlcv');
const COINS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'AVAXUSDT', 'DOGEUSDT'];
const TARGETS: Timeframe[] = ['5m', '15m', '1h', '4h'];
const RUNS = 7;

/** Fastest of `runs` timed calls after one untimed warm-up call, in seconds. */
function bestSeconds(fn: () => void, runs = RUNS): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
  }
  return Math.min(...times);
}

export async function benchData(dir = join(OHLCV, 'binance-spot')): Promise<BenchRow[]> {
  const files = COINS.map((c) => join(dir, `${c}-1m.csv.gz`));
  let series: CandleSeries[] = [];
  const loadSec = bestSeconds(() => {
    series = files.map((f) => loadCandleFile(f));
  });
  const rows = series.reduce((n, s) => n + s.length, 0);
  const out: BenchRow[] = [benchRow('load 1m x5 (gunzip+parse+validate)', rows, loadSec)];

  for (const tf of TARGETS) {
    let sink = 0;
    const sec = bestSeconds(() => {
      for (const s of series) sink += aggregateSeries(s, tf).length;
    });
    if (sink === 0) throw new Error('aggregation produced nothing');
    out.push(benchRow(`aggregate 1m->${tf} batch`, rows, sec));
  }

  // What the live analyzer does: one incremental Aggregator per target fed every base candle.
  const incSec = bestSeconds(() => {
    let emitted = 0;
    for (const s of series) {
      const aggs = TARGETS.map((tf) => new Aggregator(s.tf, tf));
      for (let i = 0; i < s.length; i++) {
        const c = { ts: s.ts[i], open: s.open[i], high: s.high[i], low: s.low[i], close: s.close[i], volume: s.volume[i] };
        for (const a of aggs) for (let k = a.push(c); k; k = a.next()) emitted++;
      }
    }
    if (emitted === 0) throw new Error('aggregation produced nothing');
  });
  out.push(benchRow('aggregate 1m->5m+15m+1h+4h incremental', rows, incSec));
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  console.log(formatBenchTable(await benchData()));
}
