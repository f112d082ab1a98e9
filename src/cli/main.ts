// The `smc` command line: offline analysis, backtests, replay, the live runtime and its tools.
import { Command } from 'commander';
import { reportAndExit } from './errors.js';
import { registerDetectCommand } from './commands/detect.js';
import { registerBacktestCommand } from './commands/backtest.js';
import { registerRunCommand } from './commands/run.js';
import { registerReplayCommand } from './commands/replay.js';
import { registerDownloadCommand } from './commands/download.js';
import { registerCheckDataCommand } from './commands/check-data.js';
import { registerMlCommand } from './commands/ml.js';
import { registerDbCommand } from './commands/db.js';

const program = new Command();
program
  .name('smc')
  .description('SMC Ultra — Smart Money Concepts trading assistant for Bybit USDT perpetuals')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (s, write) => write(s) });

registerDetectCommand(program);
registerBacktestCommand(program);
registerRunCommand(program);
registerReplayCommand(program);
registerDownloadCommand(program);
registerCheckDataCommand(program);
registerMlCommand(program);
registerDbCommand(program);

program.exitOverride((err) => {
  process.exit(err.exitCode);
});

try {
  await program.parseAsync(process.argv);
} catch (e) {
  reportAndExit(e);
}
