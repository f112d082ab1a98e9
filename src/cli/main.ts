// The `smc` command line: offline analysis, backtests, replay, the live runtime and its tools.
import { Command, Option, type CommandType } from './commander.js';
import { COMMAND_SUMMARIES, type CommandName } from './summaries.js';
import { reportAndExit } from './errors.js';

// Each subcommand module is imported only when needed: `smc backtest` must not pay for loading the
// chat, exchange and database clients that `smc run` needs (hundreds of ms at start-up).
type Register = (program: CommandType) => unknown;
const COMMANDS: Record<CommandName, () => Promise<Register>> = {
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

// A known subcommand (also `smc help <command>`) registers alone. Anything else (`smc --help`, a typo)
// gets the list from the summaries, without loading a single command.
const known = (name: string | undefined): name is CommandName => name !== undefined && Object.hasOwn(COMMANDS, name);
const wanted = process.argv[2] === 'help' ? process.argv[3] : process.argv[2];
if (known(wanted)) (await COMMANDS[wanted]())(program);
else {
  for (const [name, c] of Object.entries(COMMAND_SUMMARIES) as [CommandName, (typeof COMMAND_SUMMARIES)[CommandName]][]) {
    const stub = program.command(name).description(c.summary);
    if ('args' in c) stub.argument(c.args);
    // The list shows "[options]" for commands that take options, as the full command would.
    if (c.options) stub.addOption(new Option('--options').hideHelp());
  }
}

program.exitOverride((err) => {
  process.exit(err.exitCode);
});

try {
  await program.parseAsync(process.argv);
} catch (e) {
  reportAndExit(e);
}
