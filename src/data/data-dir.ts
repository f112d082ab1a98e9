// Finds and loads the candle files of a data folder: one series per symbol at its finest base
// timeframe. Base = 1m when the folder has a 1m file for the symbol, else 5m (SPEC: trade management
// runs on the finest data; coarser files of the same symbol are ignored because higher timeframes
// are aggregated from the base).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CandleSeries } from '../../engine/types.js';
import type { Timeframe } from '../../engine/timeframe.js';
import { DataError } from './errors.js';
import { loadCandleFile, parseCandleFileName } from './load.js';

/** Timeframes a folder may provide as the base, finest first. */
export const BASE_TIMEFRAMES: readonly Timeframe[] = ['1m', '5m'];

export interface DataSelection {
  /** Only these symbols (upper-cased); every one must be present. */
  symbols?: string[];
  /** Keep candles with from <= ts < to (ms, open times). */
  from?: number;
  to?: number;
  /** Use files of this base timeframe (1m or 5m) instead of the finest one present. */
  baseTf?: Timeframe;
}

export interface CandleFileEntry {
  symbol: string;
  tf: Timeframe;
  path: string;
}

/** The base candle file per symbol in `dir` (1m, else 5m), sorted by symbol. */
export function findBaseFiles(dir: string, baseTf?: Timeframe): CandleFileEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(`${dir}: data folder not found`);
    if (code === 'ENOTDIR') throw new DataError(`${dir}: not a folder`);
    throw new DataError(`${dir}: cannot read the folder (${code ?? (e as Error).message})`);
  }
  const best = new Map<string, CandleFileEntry>();
  for (const name of names.sort()) {
    const parsed = parseCandleFileName(name);
    if (!parsed) continue;
    const rank = BASE_TIMEFRAMES.indexOf(parsed.tf as Timeframe);
    if (rank < 0 || (baseTf && parsed.tf !== baseTf)) continue;
    const prev = best.get(parsed.symbol);
    // .csv and .csv.gz of the same symbol and tf: the sorted order makes .csv win, deterministically.
    if (!prev || rank < BASE_TIMEFRAMES.indexOf(prev.tf)) {
      best.set(parsed.symbol, { symbol: parsed.symbol, tf: parsed.tf as Timeframe, path: join(dir, name) });
    }
  }
  return [...best.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}

/** Loads the base series of every (or every selected) symbol in `dir`. */
export function loadDataDir(dir: string, sel: DataSelection = {}): CandleSeries[] {
  const files = findBaseFiles(dir, sel.baseTf);
  let chosen = files;
  if (sel.symbols && sel.symbols.length > 0) {
    const wanted = [...new Set(sel.symbols.map((s) => s.toUpperCase()))];
    const missing = wanted.filter((s) => !files.some((f) => f.symbol === s));
    if (missing.length > 0) {
      const have = files.map((f) => f.symbol).join(', ') || 'none';
      throw new DataError(
        `${dir}: no 1m or 5m candle file for ${missing.join(', ')} (expected <SYMBOL>-1m.csv.gz or <SYMBOL>-5m.csv.gz; found: ${have})`,
      );
    }
    chosen = files.filter((f) => wanted.includes(f.symbol));
  }
  if (chosen.length === 0) throw new DataError(`${dir}: no <SYMBOL>-1m or <SYMBOL>-5m candle files (.csv or .csv.gz)`);
  return chosen.map((f) => loadCandleFile(f.path, { from: sel.from, to: sel.to }));
}

/**
 * Loads every path (a data folder or a single candle file) into one series per symbol. A symbol
 * provided twice is an error, and every selected symbol must be found somewhere.
 */
export function loadDataSources(paths: string[], sel: DataSelection = {}): CandleSeries[] {
  if (paths.length === 0) throw new DataError('no data given (pass a data folder or candle files)');
  const wanted = sel.symbols && sel.symbols.length > 0 ? new Set(sel.symbols.map((s) => s.toUpperCase())) : null;
  const out = new Map<string, { series: CandleSeries; from: string }>();
  for (const path of paths) {
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      throw new DataError(`${path}: no such file or folder`);
    }
    let loaded: CandleSeries[];
    if (isDir) {
      const present = findBaseFiles(path, sel.baseTf).map((f) => f.symbol);
      const symbols = wanted ? present.filter((s) => wanted.has(s)) : undefined;
      if (symbols && symbols.length === 0) continue;
      loaded = loadDataDir(path, { symbols, from: sel.from, to: sel.to, baseTf: sel.baseTf });
    } else {
      const s = loadCandleFile(path, { from: sel.from, to: sel.to });
      if (wanted && !wanted.has(s.symbol)) continue;
      loaded = [s];
    }
    for (const s of loaded) {
      const prev = out.get(s.symbol);
      if (prev) throw new DataError(`${s.symbol} is provided twice (${prev.from} and ${path}); pass each symbol once`);
      out.set(s.symbol, { series: s, from: path });
    }
  }
  if (wanted) {
    const missing = [...wanted].filter((s) => !out.has(s));
    if (missing.length > 0) {
      throw new DataError(`no candle data for ${missing.join(', ')} in ${paths.join(', ')} (found: ${[...out.keys()].join(', ') || 'none'})`);
    }
  }
  if (out.size === 0) throw new DataError(`no candle files in ${paths.join(', ')}`);
  return [...out.values()].map((v) => v.series);
}
