// `smc run` (what `npm start` runs): paper trading by default, testnet/demo/live with keys.
import type { Command } from 'commander';
import { loadEnv } from '../../config/env.js';
import { buildRunConfig } from '../../config/overrides.js';
import { startApp, type App } from '../../app.js';
import { collect } from '../options.js';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run the bot: paper trading by default (TRADING_MODE), alerts and commands over Telegram/Discord')
    .option('--config <file>', 'JSON config file with params and coins (or CONFIG_FILE)')
    .option('--set <key=value>', 'override an engine parameter (repeatable)', collect, [])
    .action(async (opts: { config?: string; set: string[] }) => {
      const env = loadEnv();
      const cfg = buildRunConfig({ configFile: opts.config ?? env.CONFIG_FILE, set: opts.set });
      await runUntilSignal(() => startApp({ env, cfg }));
    });
}

/** Starts the app and keeps it until SIGTERM/SIGINT; a signal during start-up exits at once. */
export async function runUntilSignal(start: () => Promise<App>, untilFinished = false): Promise<void> {
  let app: App | null = null;
  let signalled = false;
  const onSignal = (sig: string) => {
    if (signalled) return;
    signalled = true;
    if (!app) process.exit(0);
    void app.stop(sig).then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  app = await start();
  if (untilFinished) {
    await app.finished;
    if (!signalled) {
      await app.stop('replay finished');
      process.exit(0);
    }
  }
  await new Promise(() => {});
}
