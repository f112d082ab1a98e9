// `smc ml train` runs the Python trainer (ml/train.py) on a dataset; `smc ml export` writes the store's
// ml_features as a dataset. `npm run train -- --dataset <file> --out models/` is `smc ml train`.
import { COMMAND_SUMMARIES } from '../summaries.js';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { InvalidArgumentError } from '../commander.js';
import { openRawStore } from '../../storage/open.js';
import { writeDataset } from '../../ml/dataset.js';
import { datasetFromMlFeatures } from '../../ml/export.js';
import { RUN_ID_PATTERN } from '../../backtest/store-rows.js';
import type { MlFeatureFilter } from '../../storage/store.js';
import { UserError } from '../errors.js';

interface TrainOptions {
  dataset: string;
  out: string;
  minSamples?: string;
  folds?: string;
  embargoHours?: string;
  python: string;
}

function positiveInt(v: string): string {
  if (!/^[1-9]\d*$/.test(v)) throw new InvalidArgumentError(`"${v}" is not a positive whole number`);
  return v;
}

function nonNegative(v: string): string {
  if (!(Number(v) >= 0)) throw new InvalidArgumentError(`"${v}" is not a non-negative number`);
  return v;
}

/** The checkout's ml/train.py, found from this file (source or dist/ build). */
export function trainScriptPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let k = 0; k < 6; k++) {
    const p = join(dir, 'ml', 'train.py');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new UserError('ml/train.py was not found beside this installation');
}

/** Runs ml/train.py with the given options; resolves with its exit code. */
export function runTrainer(o: TrainOptions, stdio: 'inherit' | 'pipe' = 'inherit'): Promise<number> {
  if (!existsSync(o.dataset)) throw new UserError(`dataset ${o.dataset} does not exist`);
  const args = [trainScriptPath(), '--dataset', resolve(o.dataset), '--out', resolve(o.out)];
  if (o.minSamples) args.push('--min-samples', o.minSamples);
  if (o.folds) args.push('--folds', o.folds);
  if (o.embargoHours) args.push('--embargo-hours', o.embargoHours);
  return new Promise((resolveExit, reject) => {
    const child = spawn(o.python, args, { stdio });
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(
        e.code === 'ENOENT'
          ? new UserError(`${o.python} was not found: install Python 3.11, then python3 -m pip install -r ml/requirements.txt`)
          : e,
      );
    });
    child.on('close', (code) => resolveExit(code ?? 1));
  });
}

export function registerMlCommand(program: Command): void {
  const ml = program.command('ml').description(COMMAND_SUMMARIES.ml.summary);

  ml.command('train')
    .description('train the win-probability model on walk-forward folds (Python: ml/train.py) and export model.onnx + model.json')
    .requiredOption('--dataset <file>', 'dataset CSV from `smc backtest --dataset` or `smc ml export`')
    .requiredOption('--out <dir>', 'output folder for model.onnx, model.json and oos_predictions.csv')
    .option('--min-samples <n>', 'refuse to train on fewer rows (default 500)', positiveInt)
    .option('--folds <n>', 'walk-forward folds (default 5)', positiveInt)
    .option('--embargo-hours <h>', 'gap between training rows and each test fold (default 6)', nonNegative)
    .option('--python <cmd>', 'Python interpreter', 'python3')
    .action(async (o: TrainOptions) => {
      const code = await runTrainer(o);
      if (code !== 0) process.exitCode = code;
    });

  ml.command('export')
    .description("write the store's ml_features (trades with outcomes) of one source as a training dataset CSV")
    .requiredOption('--out <file>', 'dataset CSV to write')
    .option('--source <source>', `rows of ${EXPORT_SOURCES.join('|')} (default live: the bot's own trades; with --run: backtest)`, exportSource)
    .option('--run <id>', 'only this backtest run (the id `smc backtest --store` prints and writes in summary.json)', runId)
    .action(async (o: { out: string; source?: ExportSource; run?: string }) => {
      const env = {
        DATA_DIR: process.env.DATA_DIR,
        DATABASE_URL: process.env.DATABASE_URL,
        SUPABASE_URL: process.env.SUPABASE_URL,
        SUPABASE_KEY: process.env.SUPABASE_KEY,
      };
      const filter = exportFilter(o);
      const store = await openRawStore(env);
      try {
        const records = await store.mlFeatures(filter);
        const { rows, skippedOpen, skippedOtherSchema } = datasetFromMlFeatures(records);
        writeDataset(o.out, rows);
        const runs = new Set(records.filter((r) => r.source === 'backtest').map((r) => r.run_id ?? 'before runs'));
        const which = `source ${filter.source ?? 'all'}${filter.run ? `, run ${filter.run}` : ''}`;
        process.stdout.write(
          `wrote ${rows.length} rows (${which}) to ${o.out}` +
            (skippedOpen ? `; ${skippedOpen} without an outcome yet left out` : '') +
            (skippedOtherSchema ? `; ${skippedOtherSchema} of another feature schema left out` : '') +
            '\n' +
            (records.length === 0 && filter.source !== undefined ? 'no ml_features rows of that source; --source all exports every source\n' : '') +
            (runs.size > 1
              ? `warning: rows of ${runs.size} backtest runs, so a signal can appear once per run; --run <id> exports one run\n`
              : ''),
        );
      } finally {
        await store.close();
      }
    });
}

/** The sources `smc ml export --source` accepts ('all' = no filter). */
export const EXPORT_SOURCES = ['live', 'paper', 'testnet', 'demo', 'replay', 'backtest', 'all'] as const;
export type ExportSource = (typeof EXPORT_SOURCES)[number];

function exportSource(v: string): ExportSource {
  if (!(EXPORT_SOURCES as readonly string[]).includes(v)) {
    throw new InvalidArgumentError(`"${v}" is not a source: use one of ${EXPORT_SOURCES.join(', ')}`);
  }
  return v as ExportSource;
}

function runId(v: string): string {
  if (!RUN_ID_PATTERN.test(v)) throw new InvalidArgumentError(`"${v}" is not a backtest run id (16 hex digits, as \`smc backtest --store\` prints it)`);
  return v;
}

/**
 * Which rows `smc ml export` reads: live by default (the bot's own trades; rows from before sql/006
 * count as live), the named source, or all; `--run` alone means that backtest run.
 */
export function exportFilter(o: { source?: ExportSource; run?: string }): MlFeatureFilter {
  const source = o.source ?? (o.run ? 'backtest' : 'live');
  if (o.run && source !== 'backtest' && source !== 'all') {
    throw new UserError(`--run ${o.run} names a backtest run, but --source is ${source}: use --source backtest (or leave it out)`);
  }
  return { ...(source === 'all' ? {} : { source }), ...(o.run ? { run: o.run } : {}) };
}
