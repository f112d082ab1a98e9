// Finds and loads the candle files of a data folder: one series per symbol at its finest base
// timeframe. Base = 1m when the folder has a 1m file for the symbol, else 5m (SPEC: trade management
// runs on the finest data; coarser files of the same symbol are ignored because higher timeframes
// are aggregated from the base).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CandleSeries } from '../../engine/types.js';
import type { Timeframe } from '../../engine/timeframe.js';
import { DataError } from './errors.js';
import { loadCandleFile, parseCandleFile, parseCandleFileName, readCandleBytesAsync, symbolOfCandleFile } from './load.js';

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

/** A candle file chosen for a data selection, and the path it was found under. */
interface PlannedFile {
  symbol: string;
  path: string;
  source: string;
}

/**
 * The files `loadDataSources` reads, in order, without reading them: every path (a data folder or a
 * single candle file) gives one file per symbol. A symbol provided twice is an error, and every
 * selected symbol must be found somewhere.
 */
function planDataSources(paths: string[], sel: DataSelection): PlannedFile[] {
  if (paths.length === 0) throw new DataError('no data given (pass a data folder or candle files)');
  const wanted = sel.symbols && sel.symbols.length > 0 ? new Set(sel.symbols.map((s) => s.toUpperCase())) : null;
  const out = new Map<string, PlannedFile>();
  for (const path of paths) {
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      throw new DataError(`${path}: no such file or folder`);
    }
    let files: { symbol: string; path: string }[];
    if (isDir) {
      const present = findBaseFiles(path, sel.baseTf);
      files = wanted ? present.filter((f) => wanted.has(f.symbol)) : present;
      if (wanted && files.length === 0) continue;
      if (files.length === 0) throw new DataError(`${path}: no <SYMBOL>-1m or <SYMBOL>-5m candle files (.csv or .csv.gz)`);
    } else {
      const symbol = symbolOfCandleFile(path);
      if (wanted && !wanted.has(symbol)) continue;
      files = [{ symbol, path }];
    }
    for (const f of files) {
      const prev = out.get(f.symbol);
      if (prev) throw new DataError(`${f.symbol} is provided twice (${prev.source} and ${path}); pass each symbol once`);
      out.set(f.symbol, { symbol: f.symbol, path: f.path, source: path });
    }
  }
  if (wanted) {
    const missing = [...wanted].filter((s) => !out.has(s));
    if (missing.length > 0) {
      throw new DataError(
        `no candle data for ${missing.join(', ')} in ${paths.join(', ')} (found: ${[...out.keys()].join(', ') || 'none'}); ` +
          'a folder needs <SYMBOL>-1m.csv.gz or <SYMBOL>-5m.csv.gz (or .csv) per symbol',
      );
    }
  }
  if (out.size === 0) throw new DataError(`no candle files in ${paths.join(', ')}`);
  return [...out.values()];
}

/**
 * Loads every path (a data folder or a single candle file) into one series per symbol. A symbol
 * provided twice is an error, and every selected symbol must be found somewhere.
 */
export function loadDataSources(paths: string[], sel: DataSelection = {}): CandleSeries[] {
  return planDataSources(paths, sel).map((f) => loadCandleFile(f.path, { from: sel.from, to: sel.to }));
}

/**
 * Files read and gunzipped ahead of the one being parsed (bounds the memory held by read-ahead). More
 * than libuv's 4 pool threads: a file waiting in the pool's queue starts as soon as a thread is free,
 * not only once the parser has taken a file (with 4, the fifth coin's file was late by ~10 ms).
 */
const READ_AHEAD = 8;

/**
 * loadDataSources with the reading and gunzipping on libuv's thread pool, a few files ahead of the
 * parser: on a machine with a spare core the files decompress while this thread parses. Same
 * series, same errors.
 */
export async function loadDataSourcesAsync(paths: string[], sel: DataSelection = {}): Promise<CandleSeries[]> {
  const files = planDataSources(paths, sel);
  const bytes: Promise<Buffer>[] = [];
  const readUpTo = (n: number) => {
    for (let i = bytes.length; i < Math.min(n, files.length); i++) {
      bytes.push(readCandleBytesAsync(files[i].path));
      bytes[i].catch(() => {}); // awaited in order below; an early failure must not go unhandled meanwhile
    }
  };
  readUpTo(READ_AHEAD);
  const out: CandleSeries[] = [];
  for (let i = 0; i < files.length; i++) {
    const b = await bytes[i];
    readUpTo(i + 1 + READ_AHEAD);
    out.push(parseCandleFile(files[i].path, b, { from: sel.from, to: sel.to }));
  }
  return out;
}
