// `smc download`: Bybit public klines (no keys) into the candle-file format, resumable, with a
// progress bar when stderr is a terminal. BYBIT_REST_URL points it at another host (tests: the fake).
import { COMMAND_SUMMARIES } from '../summaries.js';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { parseTimeframe } from '../../../engine/timeframe.js';
import { BybitExchange, type BybitExchangeOptions } from '../../exchange/bybit/exchange.js';
import { downloadCandles } from '../../exchange/bybit/download.js';
import { UserError } from '../errors.js';
import { parsePositive, parseSymbols } from '../options.js';

interface DownloadOptions {
  symbols: string[];
  timeframe: string;
  days: number;
  out: string;
}

export function registerDownloadCommand(program: Command): void {
  program
    .command('download')
    .description(COMMAND_SUMMARIES.download.summary)
    .requiredOption('--symbols <list>', 'comma-separated symbols, e.g. BTCUSDT,ETHUSDT', parseSymbols)
    .option('--timeframe <tf>', 'candle timeframe (1m, 5m, 15m, 1h, 4h)', '1m')
    .option('--days <n>', 'days of history up to now', parsePositive, 30)
    .option('--out <dir>', 'output folder', 'data/bybit')
    .action(async (o: DownloadOptions) => {
      await runDownload(o, process.env.BYBIT_REST_URL);
    });
}

export async function runDownload(
  o: DownloadOptions,
  restUrl: string | undefined,
  log: (s: string) => void = (s) => process.stderr.write(`${s}\n`),
  tuning: Pick<BybitExchangeOptions, 'backoffMs' | 'readAttempts' | 'requestTimeoutMs'> = {},
): Promise<void> {
  let tf;
  try {
    tf = parseTimeframe(o.timeframe);
  } catch (e) {
    throw new UserError(`--timeframe: ${(e as Error).message}`);
  }
  if (!(o.days > 0)) throw new UserError(`--days must be positive, got ${o.days}`);
  const exchange = new BybitExchange({ mode: 'public', restUrl, ...tuning });
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar({ format: '{symbol} [{bar}] {percentage}% | {value}/{total} candles', stream: process.stderr }, cliProgress.Presets.shades_classic)
    : undefined;
  let current = '';
  try {
    const results = await downloadCandles(exchange, {
      symbols: o.symbols, tf, days: o.days, outDir: o.out, now: Date.now(),
      onProgress: ({ symbol, done, total }) => {
        if (!bar) return;
        if (symbol !== current) { if (current) bar.stop(); current = symbol; bar.start(total, done, { symbol }); }
        else bar.update(done, { symbol });
      },
    });
    bar?.stop();
    for (const r of results) {
      const span = r.first === null ? 'no candles' : `${new Date(r.first).toISOString()} .. ${new Date(r.last!).toISOString()}`;
      log(`${r.symbol}: ${r.added} new candles (${r.existing} already there) → ${r.file} [${span}]`);
    }
  } catch (e) {
    bar?.stop();
    if (e instanceof Error && /unreachable|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|timeout/i.test(e.message)) throw new UserError(`Bybit is unreachable (${e.message})`);
    throw e;
  } finally {
    await exchange.close();
  }
}
