// The `smc` command line: offline analysis, backtests, replay, the live runtime and its tools.
import { Command } from 'commander';
import { reportAndExit } from './errors.js';

// Each subcommand module is imported only when needed: `smc backtest` must not pay for loading the
// chat, exchange and database clients that `smc run` needs (hundreds of ms at start-up).
type Register = (program: Command) => unknown;
const COMMANDS: Record<string, () => Promise<Register>> = {
  detect: async () => (await import('./commands/detect.js')).registerDetectCommand,
  backtest: async () => (await import('./commands/backtest.js')).registerBacktestCommand,
  run: async () => (await import('./commands/run.js')).registerRunCommand,
  replay: async () => (await import('./commands/replay.js')).registerReplayCommand,
  download: async () => (await import('./commands/download.js')).registerDownloadCommand,
  'check-data': async () => (await import('./commands/check-data.js')).registerCheckDataCommand,
  ml: async () => (await import('./commands/ml.js')).registerMlCommand,
  db: async () => (await import('./commands/db.js')).registerDbCommand,
};

const program = new Command();
program
  .name('smc')
  .description('SMC Ultra — Smart Money Concepts trading assistant for Bybit USDT perpetuals')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (s, write) => write(s) });

// A known subcommand registers alone; anything else (help, a typo) needs the full list.
const wanted = process.argv[2];
const names = wanted !== undefined && Object.hasOwn(COMMANDS, wanted) ? [wanted] : Object.keys(COMMANDS);
for (const name of names) (await COMMANDS[name]())(program);

program.exitOverride((err) => {
  process.exit(err.exitCode);
});

try {
  await program.parseAsync(process.argv);
} catch (e) {
  reportAndExit(e);
}
