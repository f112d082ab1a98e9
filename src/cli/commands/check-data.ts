// `smc check-data <paths...>`: validates candle files or data folders and prints, per file, its
// rows, timeframe, time range and gaps (gaps are reported, never filled). A bad file stops with
// one line naming file, row and problem (a DataError, printed by the CLI's error handler).
import { COMMAND_SUMMARIES } from '../summaries.js';
import type { Command } from 'commander';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeGaps, gapReport } from '../../data/gaps.js';
import { loadCandleFile, parseCandleFileName } from '../../data/load.js';
import { DataError } from '../../data/errors.js';

/** Candle files named by `paths`: files as given, folders expanded to their `<SYMBOL>-<TF>.csv(.gz)` files. */
function candleFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let dir = false;
    try {
      dir = statSync(p).isDirectory();
    } catch {
      throw new DataError(`${p}: no such file or folder`);
    }
    if (!dir) out.push(p);
    else out.push(...readdirSync(p).sort().filter((n) => parseCandleFileName(n)).map((n) => join(p, n)));
  }
  if (out.length === 0) throw new DataError(`no <SYMBOL>-<TF>.csv(.gz) files in ${paths.join(', ')}`);
  return out;
}

/** One summary line per file, e.g. "BTCUSDT-1m.csv.gz: BTCUSDT 1m, 61272 candles, 2021-04-02T00:00Z .. 2021-05-14T20:25Z, 2 gaps, ...". */
export function checkData(paths: string[]): string[] {
  return candleFiles(paths).map((file) => {
    const s = loadCandleFile(file);
    const iso = (t: number) => new Date(t).toISOString().slice(0, 16) + 'Z';
    return `${file}: ${s.symbol} ${s.tf}, ${s.length} candles, ${iso(s.ts[0])} .. ${iso(s.ts[s.length - 1])}, ${describeGaps(s, gapReport(s))}`;
  });
}

export function registerCheckDataCommand(program: Command): void {
  program
    .command('check-data')
    .description(COMMAND_SUMMARIES['check-data'].summary)
    .argument('<paths...>', 'candle files (<SYMBOL>-<TF>.csv[.gz]) or folders of them')
    .action((paths: string[]) => {
      for (const line of checkData(paths)) process.stdout.write(line + '\n');
    });
}
