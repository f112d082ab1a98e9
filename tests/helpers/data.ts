// Real candles from ../shared/data (never copied into the repository).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const DATA_ROOT = resolve(__dirname, '../../../shared/data/ohlcv');
export const dataPath = (...parts: string[]) => join(DATA_ROOT, ...parts);

if (!existsSync(DATA_ROOT)) {
  throw new Error(`historical candles not found at ${DATA_ROOT} (the shared/ folder must sit beside the repository)`);
}
