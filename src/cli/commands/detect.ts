// `smc detect`: every swing, order block, FVG, sweep and structure event of one file, with the
// time of the candle it describes and the time it became known.
import { COMMAND_SUMMARIES } from '../summaries.js';
import type { Command } from 'commander';
import { loadCandleFile } from '../../data/load.js';
import { Aggregator } from '../../../engine/aggregate.js';
import { TimeframeState } from '../../../engine/smc/timeframe-state.js';
import { SymbolAnalyzer } from '../../../engine/analyzer.js';
import { TF_MS, parseTimeframe, type Timeframe } from '../../../engine/timeframe.js';
import { coinConfig } from '../../../engine/params.js';
import type { Candle, CandleSeries } from '../../../engine/types.js';
import { buildRunConfig } from '../../config/overrides.js';
import { collect, parseIsoTime } from '../options.js';
import { UserError } from '../errors.js';
import { recordToJson, type DetectRecord } from './detect-format.js';

interface DetectOptions {
  data: string;
  timeframe: string;
  from?: number;
  to?: number;
  set: string[];
  config?: string;
  json?: boolean;
  scores?: boolean;
}

export function registerDetectCommand(program: Command): void {
  program
    .command('detect')
    .description(COMMAND_SUMMARIES.detect.summary)
    .requiredOption('--data <file>', 'candle file (ts,open,high,low,close,volume; .csv or .csv.gz)')
    .requiredOption('--timeframe <tf>', 'timeframe to detect on (1m, 5m, 15m, 1h, 4h)')
    .option('--from <iso>', 'first candle open time', parseIsoTime)
    .option('--to <iso>', 'candles opening before this time', parseIsoTime)
    .option('--set <key=value>', 'override an engine parameter (repeatable)', collect, [])
    .option('--config <file>', 'JSON config file with params and coins')
    .option('--json', 'print JSON (one object)')
    .option('--scores', "also print every ltf candle's confluence score with its factors (coin's timeframes)")
    .action((opts: DetectOptions) => {
      const out = runDetect(opts);
      if (opts.json) process.stdout.write(JSON.stringify(out) + '\n');
      else printTable(out);
    });
}

export function runDetect(opts: DetectOptions) {
  const tf = safeTf(opts.timeframe);
  const cfg = buildRunConfig({ configFile: opts.config, set: opts.set });
  const series = loadCandleFile(opts.data, { from: opts.from, to: opts.to });
  if (TF_MS[tf] < TF_MS[series.tf]) throw new UserError(`--timeframe ${tf} is finer than the file's ${series.tf} candles`);
  const records: DetectRecord[] = [];
  const state = new TimeframeState(tf, cfg.params, {
    structures: true,
    sweeps: true,
    sink: (r) => records.push(recordToJson(r)),
  });
  const agg = tf === series.tf ? null : new Aggregator(series.tf, tf);
  const scores: unknown[] = [];
  const analyzer = opts.scores
    ? new SymbolAnalyzer(series.symbol, coinConfig(series.symbol, cfg.coins), cfg.params, {
        baseTf: series.tf,
        onEvaluation: (e) => scores.push({
          time: new Date(e.time).toISOString(), close: e.candle.close, snapshot: e.snapshot,
          long: e.score.long, short: e.score.short,
        }),
      })
    : null;
  let candles = 0;
  eachCandle(series, (c) => {
    for (let closed = agg ? agg.push(c) : c; closed; closed = agg ? agg.next() : null) { state.update(closed); candles++; }
    analyzer?.onBaseCandle(c);
  });
  return {
    symbol: series.symbol,
    timeframe: tf,
    baseTimeframe: series.tf,
    from: series.length ? new Date(series.ts[0]).toISOString() : null,
    to: series.length ? new Date(series.ts[series.length - 1] + TF_MS[series.tf]).toISOString() : null,
    candles,
    params: cfg.params,
    counts: countByType(records),
    records,
    ...(analyzer ? { scoreTimeframes: { htf: analyzer.htf.tf, mtf: analyzer.mtf.tf, ltf: analyzer.ltf.tf }, scores } : {}),
  };
}

function safeTf(s: string): Timeframe {
  try { return parseTimeframe(s); } catch (e) { throw new UserError((e as Error).message); }
}

function eachCandle(s: CandleSeries, fn: (c: Candle) => void): void {
  for (let i = 0; i < s.length; i++) {
    fn({ ts: s.ts[i], open: s.open[i], high: s.high[i], low: s.low[i], close: s.close[i], volume: s.volume[i] });
  }
}

function countByType(records: DetectRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[r.type] = (out[r.type] ?? 0) + 1;
  return out;
}

function printTable(out: ReturnType<typeof runDetect>): void {
  const lines = [`${out.symbol} ${out.timeframe} from ${out.from} to ${out.to}: ${out.candles} candles`,
    Object.entries(out.counts).map(([k, v]) => `${k}: ${v}`).join(', ')];
  for (const r of out.records) {
    const { type, known_at, ts, ...rest } = r;
    lines.push(`${known_at}  ${type.padEnd(12)} candle ${ts}  ${Object.entries(rest).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}
