// `npm run bench`: candles per second for every stage, measured on the real data, then the whole
// `smc backtest` process against the targets of issue 3 item 8 (PASS/FAIL, honestly).
import { benchData } from './data.js';
import { benchEngine } from './engine.js';
import { benchBacktest, verdicts } from './backtest.js';
import { formatBenchTable } from './types.js';

const data = await benchData();
const engine = await benchEngine();
const load = data.find((r) => r.name.startsWith('load'))!;
const backtest = await benchBacktest(load.rows);
process.stdout.write(formatBenchTable([...data, ...engine, ...backtest.rows]) + '\n\n');
process.stdout.write(verdicts(backtest, load.seconds).join('\n') + '\n');
