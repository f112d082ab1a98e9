// `smc run` (what `npm start` runs): paper trading by default, testnet/demo/live with keys.
import { COMMAND_SUMMARIES } from '../summaries.js';
import type { Command } from 'commander';
import { loadEnv } from '../../config/env.js';
import { buildRunConfig } from '../../config/overrides.js';
import { StartAborted, startApp, type App } from '../../app.js';
import { collect } from '../options.js';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(COMMAND_SUMMARIES.run.summary)
    .option('--config <file>', 'JSON config file with params and coins (or CONFIG_FILE)')
    .option('--set <key=value>', 'override an engine parameter (repeatable)', collect, [])
    .action(async (opts: { config?: string; set: string[] }) => {
      const env = loadEnv();
      const cfg = buildRunConfig({ configFile: opts.config ?? env.CONFIG_FILE, set: opts.set });
      await runUntilSignal((signal) => startApp({ env, cfg, signal }));
    });
}

/**
 * Starts the app and keeps it until SIGTERM/SIGINT. A signal during start-up cancels it: the app
 * closes what it had opened (store, lease, health server) and the process exits 0.
 */
export async function runUntilSignal(start: (signal: AbortSignal) => Promise<App>, untilFinished = false): Promise<void> {
  let app: App | null = null;
  let signalled = false;
  const starting = new AbortController();
  const onSignal = (sig: string) => {
    if (signalled) return;
    signalled = true;
    if (!app) return starting.abort();
    void app.stop(sig).then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  try {
    app = await start(starting.signal);
  } catch (e) {
    if (e instanceof StartAborted) process.exit(0);
    throw e;
  }
  if (untilFinished) {
    await app.finished;
    if (!signalled) {
      await app.stop('replay finished');
      process.exit(0);
    }
  }
  await new Promise(() => {});
}
