// `smc backtest`: several coins on historical candles; writes summary.json, trades.csv,
// signals.csv and report.html.
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { loadDataSources } from '../../data/load.js';
import { runBacktest, type BacktestResult } from '../../backtest/run.js';
import { buildSummary } from '../../backtest/summary.js';
import { tradesCsv, signalsCsv } from '../../backtest/csv.js';
import { renderReport } from '../../backtest/report.js';
import { buildRunConfig } from '../../config/overrides.js';
import { coinConfig } from '../../../engine/params.js';
import { collect, parseBase, parseIsoTime, parseSymbols } from '../options.js';
import type { CandleSeries } from '../../../engine/types.js';

export interface BacktestCliOptions {
  data: string[];
  symbols?: string[];
  base?: string;
  from?: number;
  to?: number;
  config?: string;
  set: string[];
  out: string;
  report: boolean;
  quiet?: boolean;
}

export function registerBacktestCommand(program: Command): Command {
  return program
    .command('backtest')
    .description('backtest the strategy on historical candles (1m or 5m base) across several coins')
    .requiredOption('--data <paths...>', 'data folder(s) or candle files (<SYMBOL>-<TF>.csv[.gz])')
    .option('--symbols <list>', 'comma-separated symbols (default: every symbol found)', parseSymbols)
    .option('--base <tf>', 'base timeframe of the files to use (1m or 5m; default: the finest present)')
    .option('--from <iso>', 'start (candle open time, UTC)', parseIsoTime)
    .option('--to <iso>', 'end (exclusive, UTC)', parseIsoTime)
    .option('--config <file>', 'JSON config file with params and coins')
    .option('--set <key=value>', 'override a parameter, e.g. risk_per_trade_percent=0.5 or BTCUSDT.min_confidence=85 (repeatable)', collect, [])
    .requiredOption('--out <dir>', 'output folder')
    .option('--no-report', 'skip report.html')
    .option('--quiet', 'no progress bar and no summary on stdout')
    .action(async (opts: BacktestCliOptions) => {
      await backtestCommand(opts);
    });
}

export async function backtestCommand(opts: BacktestCliOptions, extra: {
  mlScore?: Parameters<typeof runBacktest>[0]['mlScore'];
  mlMinConfidence?: number;
  after?: (r: BacktestResult, series: CandleSeries[]) => Promise<void> | void;
} = {}) {
  const cfg = buildRunConfig({ configFile: opts.config, set: opts.set });
  const series = loadDataSources(opts.data, { symbols: opts.symbols, from: opts.from, to: opts.to, baseTf: parseBase(opts.base) });
  const coins = Object.fromEntries(series.map((s) => [s.symbol, coinConfig(s.symbol, cfg.coins)]));
  const bar = !opts.quiet && process.stderr.isTTY
    ? new cliProgress.SingleBar({ format: 'backtest [{bar}] {percentage}% | {value}/{total} candles | eta {eta}s', stream: process.stderr }, cliProgress.Presets.shades_classic)
    : null;
  let started = false;
  const result = runBacktest({
    series, params: cfg.params, coins, collectStructures: opts.report,
    mlScore: extra.mlScore, mlMinConfidence: extra.mlMinConfidence,
    onProgress: bar ? (done, total) => { if (!started) { bar.start(total, 0); started = true; } bar.update(done); } : undefined,
  });
  bar?.stop();
  const config = { params: cfg.params, coins, ml: extra.mlScore ? { minConfidence: extra.mlMinConfidence ?? 0 } : null };
  const summary = buildSummary(result, cfg.params.initial_equity, config);
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(join(opts.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  writeFileSync(join(opts.out, 'trades.csv'), tradesCsv(result.trades));
  writeFileSync(join(opts.out, 'signals.csv'), signalsCsv(result.signals));
  if (opts.report) writeFileSync(join(opts.out, 'report.html'), renderReport(result, series, summary));
  await extra.after?.(result, series);
  if (!opts.quiet) {
    for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stdout.write(
      `${summary.window.symbols.join(', ')} ${summary.window.from} → ${summary.window.to} (${summary.window.baseCandles} ${summary.window.baseTimeframe} candles)\n` +
      `trades ${summary.trades}  win rate ${summary.winRate ?? '–'}%  net PnL ${summary.netPnl} (${summary.returnPercent}%)  ` +
      `profit factor ${summary.profitFactor ?? '–'}  max DD ${summary.maxDrawdown.percent}%  Sharpe ${summary.dailySharpe ?? '–'}\n` +
      `wrote ${join(opts.out, 'summary.json')}, trades.csv, signals.csv${opts.report ? ', report.html' : ''}\n`,
    );
  }
  return { result, summary, series };
}
