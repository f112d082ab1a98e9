// Option parsers shared by the subcommands.
import { InvalidArgumentError } from './commander.js';
import type { Command } from 'commander';
import { UserError } from './errors.js';
import type { Timeframe } from '../../engine/timeframe.js';
import type { DataSelection } from '../data/load.js';

export function parseIsoTime(v: string): number {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (!Number.isFinite(t)) throw new InvalidArgumentError(`"${v}" is not an ISO date/time (e.g. 2021-04-10 or 2021-04-10T12:00:00Z)`);
  return t;
}

export function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

export function parseSymbols(v: string): string[] {
  const list = v.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  if (!list.length) throw new InvalidArgumentError('expected a comma-separated list like BTCUSDT,ETHUSDT');
  return list;
}

export function parsePositive(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`"${v}" is not a non-negative number`);
  return n;
}

export function parseBase(v: string | undefined): Timeframe | undefined {
  if (v === undefined) return undefined;
  if (v !== '1m' && v !== '5m') throw new UserError(`--base ${v}: the base timeframe must be 1m or 5m`);
  return v;
}

/** What --data, --symbols, --base, --from and --to parse to. */
export interface DataOptions {
  data: string[];
  symbols?: string[];
  base?: string;
  from?: number;
  to?: number;
}

/** The candle-data and config options shared by `backtest` and `replay` (same names, same meaning). */
export function withDataOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--data <paths...>', 'data folder(s) or candle files (<SYMBOL>-<TF>.csv[.gz])')
    .option('--symbols <list>', 'comma-separated symbols (default: every symbol found)', parseSymbols)
    .option('--base <tf>', 'base timeframe of the files to use (1m or 5m; default: the finest present)')
    .option('--from <iso>', 'start (candle open time, UTC)', parseIsoTime)
    .option('--to <iso>', 'end (exclusive, UTC)', parseIsoTime)
    .option('--config <file>', 'JSON config file with params and coins')
    .option('--set <key=value>', 'override a parameter, e.g. risk_per_trade_percent=0.5 or BTCUSDT.min_confidence=85 (repeatable)', collect, []);
}

/** The data selection the options ask for. */
export function dataSelection(o: DataOptions): DataSelection {
  return { symbols: o.symbols, from: o.from, to: o.to, baseTf: parseBase(o.base) };
}
