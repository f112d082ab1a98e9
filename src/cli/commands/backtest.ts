// `smc backtest`: several coins on historical candles; writes summary.json, trades.csv,
// signals.csv and report.html. ML: --dataset writes the training dataset, --model scores and filters
// signals with a trained model, --store writes trades, signals and ml_features to the store.
import { COMMAND_SUMMARIES } from '../summaries.js';
import type { Command } from 'commander';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataSourcesAsync } from '../../data/load.js';
import type { BacktestInput, BacktestResult } from '../../backtest/run.js';
import type { writeBacktestToStore } from '../../backtest/store-rows.js';
import { NoModel, type WinModel } from '../../ml/win-model.js';
import type { MlSignalScoring } from '../../ml/signal-scoring.js';
import { UserError } from '../errors.js';
import { exitWhenFlushed } from '../exit.js';
import { buildRunConfig } from '../../config/overrides.js';
import { coinConfig } from '../../../engine/params.js';
import { dataSelection, withDataOptions, type DataOptions } from '../options.js';
import type { CandleSeries } from '../../../engine/types.js';

export interface BacktestCliOptions extends DataOptions {
  config?: string;
  set: string[];
  out: string;
  report: boolean;
  quiet?: boolean;
  dataset?: string;
  /** A path, or false for --no-model (ignore MODEL_PATH). */
  model?: string | false;
  mlMinConfidence?: number;
  store?: boolean;
}

function parseConfidence(v: string, what = '--ml-min-confidence'): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) throw new UserError(`${what} must be a number from 0 to 100, got "${v}"`);
  return n;
}

/** --model, else MODEL_PATH; --ml-min-confidence, else ML_MIN_CONFIDENCE, else 0 (the model only ranks). */
function mlSettings(opts: BacktestCliOptions, env: NodeJS.ProcessEnv): { path: string | undefined; origin: string; minConfidence: number } {
  const fromEnv = opts.model === undefined && env.MODEL_PATH ? env.MODEL_PATH : undefined;
  const path = opts.model === false ? undefined : (opts.model ?? fromEnv);
  const minConfidence = opts.mlMinConfidence ?? (env.ML_MIN_CONFIDENCE ? parseConfidence(env.ML_MIN_CONFIDENCE, 'ML_MIN_CONFIDENCE') : 0);
  return { path, origin: fromEnv ? 'MODEL_PATH' : '--model', minConfidence };
}

/** Writes `parts` one after the other into `path` (created or truncated). */
function writeFileParts(path: string, parts: string[]): void {
  const fd = openSync(path, 'w');
  try {
    for (const part of parts) writeFileSync(fd, part); // at the current position, all of it
  } finally {
    closeSync(fd);
  }
}

export function registerBacktestCommand(program: Command): Command {
  return withDataOptions(program
    .command('backtest')
    .description(COMMAND_SUMMARIES.backtest.summary))
    .requiredOption('--out <dir>', 'output folder')
    .option('--no-report', 'skip report.html')
    .option('--quiet', 'no progress bar and no summary on stdout')
    .option('--dataset <file>', 'write the ML training dataset (one row per traded signal: features, time, pnl, win)')
    .option('--model <path>', 'score signals with this model.onnx (model.json beside it); default MODEL_PATH')
    .option('--no-model', 'ignore MODEL_PATH: run on the confluence score alone')
    .option('--ml-min-confidence <n>', 'drop signals the model gives a lower win probability (0-100; default ML_MIN_CONFIDENCE or 0 = rank only)', (v) => parseConfidence(v))
    .option('--store', 'write trades, signals and ml_features to the store the environment selects (DATABASE_URL, SUPABASE_*, else PGlite in DATA_DIR), source "backtest"')
    .action(async (opts: BacktestCliOptions) => {
      await backtestCommand(opts);
      exitWhenFlushed(); // everything is written and the store (--store) closed
    });
}

export async function backtestCommand(opts: BacktestCliOptions, extra: {
  mlScore?: BacktestInput['mlScore'];
  mlMinConfidence?: number;
  after?: (r: BacktestResult, series: CandleSeries[]) => Promise<void> | void;
} = {}) {
  const cfg = buildRunConfig({ configFile: opts.config, set: opts.set });
  // The files start reading (and gunzipping, off this thread) before the engine and report modules
  // load, so the two overlap. A load error waits for the await below to be reported.
  const loading = loadDataSourcesAsync(opts.data, dataSelection(opts));
  loading.catch(() => {});
  const [{ runBacktest }, { buildSummary, mlSummary }, { tradesCsv, signalsCsv }, report] = await Promise.all([
    import('../../backtest/run.js'), import('../../backtest/summary.js'), import('../../backtest/csv.js'),
    opts.report ? import('../../backtest/report.js') : null,
  ]);
  const series = await loading;
  const coins = Object.fromEntries(series.map((s) => [s.symbol, coinConfig(s.symbol, cfg.coins)]));
  const ml = mlSettings(opts, process.env);
  // The store clients (pg, Supabase, PGlite) and env validation load only with --store: a plain
  // backtest starts without them.
  const storeEnv = opts.store ? (await import('../../config/env.js')).loadEnv() : null; // checked before the long run, not after it
  // The ML modules (features, the ONNX loader, the dataset writer) load only when a run uses them.
  const wantsFeatures = Boolean(opts.dataset || opts.store || ml.path);
  const mlModules = wantsFeatures
    ? await Promise.all([import('../../ml/model.js'), import('../../ml/signal-scoring.js'), import('../../ml/dataset.js')])
    : null;
  const model: WinModel = mlModules ? await mlModules[0].loadSessionModel(ml.path, ml.origin) : new NoModel();
  const scoring: MlSignalScoring | undefined = mlModules && series.length
    ? mlModules[1].mlScoringFor({ params: cfg.params, coins: () => coins, baseTf: series[0].tf }, model)
    : undefined;
  // The progress bar's module loads only for a terminal: a pipe or --quiet never needs it.
  const progress = !opts.quiet && process.stderr.isTTY ? (await import('cli-progress')).default : null;
  const bar = progress
    ? new progress.SingleBar({ format: 'backtest [{bar}] {percentage}% | {value}/{total} candles | eta {eta}s', stream: process.stderr }, progress.Presets.shades_classic)
    : null;
  let started = false;
  let result: BacktestResult;
  try {
    result = runBacktest({
      series, params: cfg.params, coins, collectStructures: opts.report,
      ml: scoring, mlScore: scoring ? undefined : extra.mlScore,
      mlMinConfidence: model.loaded ? ml.minConfidence : extra.mlMinConfidence,
      onProgress: bar ? (done, total) => { if (!started) { bar.start(total, 0); started = true; } bar.update(done); } : undefined,
    });
  } finally {
    bar?.stop();
    await model.close();
  }
  const minConfidence = model.loaded ? ml.minConfidence : extra.mlMinConfidence ?? 0;
  const config = { params: cfg.params, coins, ml: model.loaded || extra.mlScore ? { minConfidence } : null };
  const datasetRows = opts.dataset && mlModules ? mlModules[2].writeDataset(opts.dataset, result.dataset) : null;
  const mlBlock = mlSummary(result, { description: model.description, loaded: model.loaded || Boolean(extra.mlScore), minConfidence, datasetRows });
  const summary = buildSummary(result, cfg.params.initial_equity, config, mlBlock);
  // --store: the run's fingerprint (config + model + candles) names its rows in the store.
  const storeRows = storeEnv ? await import('../../backtest/store-rows.js') : null;
  const run = storeRows ? storeRows.backtestRunId({ config, model: model.loaded ? model.description : null, series }) : null;
  mkdirSync(opts.out, { recursive: true });
  const summaryJson = run ? { ...summary, store: { source: storeRows!.BACKTEST_SOURCE, run_id: run } } : summary;
  writeFileSync(join(opts.out, 'summary.json'), JSON.stringify(summaryJson, null, 2) + '\n');
  writeFileSync(join(opts.out, 'trades.csv'), tradesCsv(result.trades));
  writeFileSync(join(opts.out, 'signals.csv'), signalsCsv(result.signals));
  if (report) writeFileParts(join(opts.out, 'report.html'), report.reportParts(result, series, summary));
  await extra.after?.(result, series);
  let stored: Awaited<ReturnType<typeof writeBacktestToStore>> | null = null;
  let storeTarget = '';
  if (storeEnv && storeRows && run) {
    const { openStore } = await import('../../storage/open.js');
    const store = await openStore(storeEnv, { journal: false });
    try {
      stored = await storeRows.writeBacktestToStore(store, result, run);
      storeTarget = (await store.info()).target;
    } finally {
      await store.close();
    }
  }
  if (!opts.quiet) {
    for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stdout.write(
      `${summary.window.symbols.join(', ')} ${summary.window.from} → ${summary.window.to} (${summary.window.baseCandles} ${summary.window.baseTimeframe} candles)\n` +
      `trades ${summary.trades}  win rate ${summary.winRate ?? '–'}%  net PnL ${summary.netPnl} (${summary.returnPercent}%)  ` +
      `profit factor ${summary.profitFactor ?? '–'}  max DD ${summary.maxDrawdown.percent}%  Sharpe ${summary.dailySharpe ?? '–'}\n` +
      `ML: ${mlBlock.model}; ${mlBlock.loaded ? `${mlBlock.filtered} of ${result.signals.length} signals filtered by the model (ML_MIN_CONFIDENCE ${minConfidence})` : 'no signals filtered'}\n` +
      `wrote ${join(opts.out, 'summary.json')}, trades.csv, signals.csv${opts.report ? ', report.html' : ''}` +
      (opts.dataset ? `; dataset ${opts.dataset} (${datasetRows} rows)` : '') + '\n' +
      (stored ? `store ${storeTarget}: ${stored.trades} trades, ${stored.signals} signals, ${stored.ml_features} ml_features rows upserted (source backtest, run ${stored.run})\n` : ''),
    );
  }
  return { result, summary, series, run };
}
