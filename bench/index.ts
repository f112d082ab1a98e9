// `npm run bench`: candles per second for every stage, measured on the real data.
import { benchData } from './data.js';
import { benchEngine } from './engine.js';
import { formatBenchTable } from './types.js';

const rows = [...(await benchData()), ...(await benchEngine())];
process.stdout.write(formatBenchTable(rows) + '\n');
const load = rows.find((r) => r.name.startsWith('load'));
const full = rows.find((r) => r.name.startsWith('full backtest'));
if (load && full) process.stdout.write(`full backtest / load time: ${(full.seconds / load.seconds).toFixed(2)}×\n`);
