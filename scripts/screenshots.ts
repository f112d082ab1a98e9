// Re-creates the README screenshots in docs/img/ from the shipped real candles:
//   report.png  the backtest report (`smc backtest … --out`), opened offline in headless Chromium
//   alert.png   a real signal of that backtest as the Telegram and Discord formatters render it
// Fails when the report requests anything from the network or a PNG exceeds 300 KB.
// Usage: npx tsx scripts/screenshots.ts [--data ../shared/data/ohlcv/binance-spot] [--out docs/img]
//        [--trade BTCUSDT/1]
// Needs Debian's Chromium and an emoji font: apt-get install -y chromium fonts-noto-color-emoji
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { loadDataSources } from '../src/data/data-dir.js';
import { runBacktest } from '../src/backtest/run.js';
import { buildRunConfig } from '../src/config/overrides.js';
import { coinConfig } from '../engine/params.js';
import { Browser } from './screenshots/browser.js';
import { alertPage } from './screenshots/alert-page.js';

const root = resolve(import.meta.dirname, '..');
const SYMBOLS = 'BTCUSDT,ETHUSDT,SOLUSDT,AVAXUSDT,DOGEUSDT';
const MAX_BYTES = 300 * 1024;

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(root, '..', 'shared', 'data', 'ohlcv', 'binance-spot') },
    out: { type: 'string', default: join(root, 'docs', 'img') },
    // the trade the report's chart opens on (report.html#SYMBOL/n)
    trade: { type: 'string', default: 'BTCUSDT/1' },
  },
});

function offline(requests: string[]): string[] {
  return requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:') && !u.startsWith('about:'));
}

function save(name: string, png: Buffer): void {
  if (png.length > MAX_BYTES) throw new Error(`${name}: ${png.length} bytes, over the ${MAX_BYTES} limit`);
  writeFileSync(join(args.out!, name), png);
  console.log(`wrote ${join(args.out!, name)} (${Math.round(png.length / 1024)} KB)`);
}

async function main(): Promise<void> {
  mkdirSync(args.out!, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'smc-shots-'));
  const browser = await Browser.launch();
  try {
    // (a) the report, produced by the real CLI
    const btOut = join(work, 'bt-out');
    execFileSync(process.execPath, [join(root, 'bin', 'smc.js'), 'backtest', '--data', args.data!, '--symbols', SYMBOLS, '--out', btOut, '--quiet'], { stdio: 'inherit' });
    const report = await browser.shoot(`${pathToFileURL(join(btOut, 'report.html')).href}#${args.trade}`, { width: 1400, height: 1240, scale: 0.75, settleMs: 1500 });
    const leaks = offline(report.requests);
    if (leaks.length) throw new Error(`report.html is not offline: it requested ${leaks.join(', ')}`);
    console.log(`report.html made ${report.requests.length} request(s), all local`);
    save('report.png', report.png);

    // (b) an alert: the first take-profit trade on BTCUSDT in the same backtest, as the chat shows it
    const cfg = buildRunConfig({});
    const series = loadDataSources([args.data!], { symbols: SYMBOLS.split(',') });
    const coins = Object.fromEntries(series.map((s) => [s.symbol, coinConfig(s.symbol, cfg.coins)]));
    const result = runBacktest({ series, params: cfg.params, coins });
    const trade = result.trades.find((t) => t.symbol === 'BTCUSDT' && t.exitReason === 'take_profit') ?? result.trades[0];
    if (!trade) throw new Error('the backtest made no trade to show as an alert');
    const signal = result.signals.find((s) => s.tradeId === trade.id)?.signal;
    if (!signal) throw new Error(`no signal recorded for trade ${trade.id}`);
    const equityAt = [...result.equity].reverse().find((p) => p.time <= signal.time)?.equity ?? cfg.params.initial_equity;
    const page = join(work, 'alert.html');
    writeFileSync(page, alertPage({ signal, trade, equity: equityAt, riskPercent: cfg.params.risk_per_trade_percent, approvalTimeoutSeconds: 120, approver: '@alex (telegram)' }));
    const alert = await browser.shoot(pathToFileURL(page).href, { width: 1000, height: 900, selector: '#page', scale: 1 });
    if (offline(alert.requests).length) throw new Error(`alert page requested ${offline(alert.requests).join(', ')}`);
    save('alert.png', alert.png);
    console.log(`alert: ${signal.symbol} ${signal.direction} at ${new Date(signal.time).toISOString()} (trade ${trade.id}, ${trade.exitReason})`);
  } finally {
    await browser.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`screenshots: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
