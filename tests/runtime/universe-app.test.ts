// The app as `npm start` runs it (paper, no keys) with TOP_COINS_BY_VOLUME=2 against the fake
// Bybit: the top coins of the tickers answer join the configured one and are streamed.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type App } from '../../src/app.js';
import { loadEnv } from '../../src/config/env.js';
import { buildRunConfig } from '../../src/config/overrides.js';
import { startFakeBybit, type FakeBybit } from '../fakes/bybit/server.js';
import { until } from '../exchange/helpers.js';
import { captureLogger } from '../chat/log-capture.js';

const INST = { tickSize: '0.01', qtyStep: '0.1', minOrderQty: '0.1', maxOrderQty: '100000', minNotionalValue: '5', maxLeverage: '50.00', status: 'Trading' };
let app: App | undefined;
let fake: FakeBybit | undefined;
let dir: string | undefined;

afterEach(async () => {
  await app?.stop('test over');
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  app = fake = dir = undefined;
});

describe('smc run with TOP_COINS_BY_VOLUME', () => {
  it('paper: configured BTCUSDT plus the top 2 by 24h turnover, each added coin streamed; a kline of it reaches the runtime', async () => {
    fake = await startFakeBybit();
    fake.state.addInstrument({ symbol: 'SOLUSDT', ...INST }, 150);
    fake.state.addInstrument({ symbol: 'XRPUSDT', ...INST }, 0.5);
    for (const [s, v] of [['BTCUSDT', 1e9], ['ETHUSDT', 3e9], ['SOLUSDT', 2e9], ['XRPUSDT', 5e6]] as const) fake.state.turnover.set(s, v);
    dir = mkdtempSync(join(tmpdir(), 'smc-universe-'));
    const log = captureLogger();
    const env = loadEnv({
      TRADING_MODE: 'paper', SYMBOLS: 'BTCUSDT', TOP_COINS_BY_VOLUME: '2', DATA_DIR: join(dir, 'data'), PORT: '0',
      BYBIT_REST_URL: fake.restUrl, BYBIT_WS_URL: fake.wsUrl,
    });
    app = await startApp({ env, cfg: buildRunConfig({}), logger: log.logger });
    // The symbols list grows before the coins are streamed; the refresh logs each coin once it is.
    const added = () => log.lines().filter((l) => l.msg === 'coin universe: added a top coin by 24h turnover').map((l) => l.symbol);
    await until(() => added().length === 2, 'the universe refresh after start', 30_000);
    expect(added()).toEqual(['ETHUSDT', 'SOLUSDT']);
    expect(app.runtime.opts.symbols).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);

    const ts = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
    fake.pushKline('SOLUSDT', '1', { ts, open: 150, high: 151, low: 149, close: 150.5, volume: 10 }, true);
    await until(() => app!.runtime.lastPrice.get('SOLUSDT') === 150.5, 'the SOLUSDT kline in the runtime', 20_000);
  }, 60_000);
});
