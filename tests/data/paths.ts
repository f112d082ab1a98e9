// Where the shared historical candles live (never copied into the repo), and a temp-file helper.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
export const OHLCV_DIR = resolve(repoRoot, '..', 'shared', 'data', 'ohlcv');
export const ohlcv = (rel: string): string => join(OHLCV_DIR, rel);
export const FIVE_COINS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'AVAXUSDT', 'DOGEUSDT'];

/** A scratch folder; files written into it are removed by cleanup(). */
export function scratch(): { write(name: string, text: string): string; dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'smc-data-test-'));
  return {
    dir,
    write(name, text) {
      const p = join(dir, name);
      writeFileSync(p, name.endsWith('.gz') ? gzipSync(Buffer.from(text, 'latin1')) : text);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
