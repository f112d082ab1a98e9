// `smc replay`: the whole live runtime (session, venue, store, chat, /health) on recorded candles.
import { COMMAND_SUMMARIES } from '../summaries.js';
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEnv } from '../../config/env.js';
import { buildRunConfig } from '../../config/overrides.js';
import { loadDataSources } from '../../data/load.js';
import { startApp } from '../../app.js';
import { tradesCsv } from '../../backtest/csv.js';
import type { TradeResult } from '../../../engine/session.js';
import { dataSelection, parsePositive, withDataOptions, type DataOptions } from '../options.js';
import { runUntilSignal } from './run.js';

interface ReplayOptions extends DataOptions {
  speed: number;
  config?: string;
  set: string[];
  out?: string;
  hold?: boolean;
  model?: string;
  mlMinConfidence?: string;
}

export function registerReplayCommand(program: Command): void {
  withDataOptions(program
    .command('replay')
    .description(COMMAND_SUMMARIES.replay.summary))
    .option('--speed <n>', 'speed multiple of real time; 0 = as fast as possible', parsePositive, 0)
    .option('--out <dir>', 'write trades.csv of the replay here')
    .option('--hold', 'keep running (health, chat) after the data ends, until SIGTERM')
    .option('--model <path>', 'score signals with this model.onnx (model.json beside it); default MODEL_PATH')
    .option('--ml-min-confidence <n>', 'drop signals the model gives a lower win probability (0-100); default ML_MIN_CONFIDENCE')
    .action(async (opts: ReplayOptions) => {
      // Replays trade by themselves unless EXECUTION_MODE asks for approvals explicitly.
      const env = loadEnv({
        ...process.env, EXECUTION_MODE: process.env.EXECUTION_MODE ?? 'auto', TRADING_MODE: 'paper',
        ...(opts.mlMinConfidence !== undefined ? { ML_MIN_CONFIDENCE: opts.mlMinConfidence } : {}),
      });
      const cfg = buildRunConfig({ configFile: opts.config ?? env.CONFIG_FILE, set: opts.set });
      const series = loadDataSources(opts.data, dataSelection(opts));
      const trades: TradeResult[] = [];
      await runUntilSignal(async (signal) => {
        const app = await startApp({ env, cfg, replay: { series, speed: opts.speed }, hold: opts.hold, modelPath: opts.model, signal });
        app.runtime.onTradeClosed = (t) => trades.push(t);
        app.finished = app.finished.then(async () => {
          if (opts.out) {
            mkdirSync(opts.out, { recursive: true });
            writeFileSync(join(opts.out, 'trades.csv'), tradesCsv(trades));
          }
          const net = trades.reduce((a, t) => a + t.netPnl, 0);
          process.stdout.write(`replay finished: ${trades.length} trades, net PnL ${net.toFixed(2)}, equity ${app.runtime.session.equity.toFixed(2)}\n`);
          if (opts.hold) await new Promise(() => {});
        });
        return app;
      }, true);
    });
}
