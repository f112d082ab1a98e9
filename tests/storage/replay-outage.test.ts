// Issue 4, "killing the database in the middle of a replay loses no row": the whole app (startApp
// in replay mode, PostgreSQL via DATABASE_URL) plays real candles twice — once with the database up
// throughout, once with the server killed after the first closed trade and started again later.
// Both databases must end with the same rows: nothing lost, nothing doubled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startApp } from '../../src/app.js';
import { loadEnv } from '../../src/config/env.js';
import { buildRunConfig } from '../../src/config/overrides.js';
import { loadDataSources } from '../../src/data/load.js';
import { silentLogger } from '../../src/log.js';
import { dataPath } from '../helpers/data.js';
import { PgServer, inCI, pgBin } from './pg-server.js';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'AVAXUSDT', 'DOGEUSDT'];

async function createDb(server: PgServer, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return server.url.replace(/\/postgres$/, `/${name}`);
}

async function rows(url: string): Promise<Record<string, unknown[]>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const out: Record<string, unknown[]> = {};
    // updated_at / created_at of runtime rows come from the wall clock; compare the trading content.
    out.trades = (await c.query(`SELECT id, symbol, direction, entry_price, exit_price, position_size, exit_reason, pnl_usd, fees_usd, entry_time, exit_time FROM trades ORDER BY id`)).rows;
    out.signals = (await c.query(`SELECT id, symbol, direction, confidence_score, was_executed, trade_id, skip_reason FROM signals ORDER BY id`)).rows;
    out.orders = (await c.query(`SELECT id, order_link_id, symbol, side, purpose, qty, status FROM orders ORDER BY id`)).rows;
    return out;
  } finally {
    await c.end();
  }
}

async function replayInto(url: string, during?: { afterTrades: number; down: () => void; up: () => void; restartAfter: number }) {
  const env = loadEnv({
    DATABASE_URL: url, DATA_DIR: join(mkdtempSync(join(tmpdir(), 'smc-outage-')), 'data'),
    PORT: '0', EXECUTION_MODE: 'auto', TRADING_MODE: 'paper', LOG_LEVEL: 'silent',
  });
  const series = loadDataSources([dataPath('binance-spot')], {
    symbols: SYMBOLS, from: Date.parse('2021-04-02T00:00:00Z'), to: Date.parse('2021-04-20T00:00:00Z'),
  });
  const app = await startApp({ env, cfg: buildRunConfig({}), replay: { series, speed: 0 }, logger: silentLogger });
  let closed = 0;
  let queuedDuringOutage = 0;
  app.runtime.onTradeClosed = () => {
    closed++;
    if (!during) return;
    if (closed === during.afterTrades) during.down();
    if (closed === during.restartAfter) {
      queuedDuringOutage = app.store!.queueLength();
      during.up();
    }
  };
  await app.finished;
  await app.stop('replay finished');
  return { closed, queuedDuringOutage };
}

const bin = pgBin();
describe.skipIf(!bin && !inCI)('a replay while PostgreSQL goes away', () => {
  let server: PgServer;
  beforeAll(async () => {
    if (!bin) throw new Error('CI=true but PostgreSQL server binaries are missing (SMC_PG_BIN)');
    server = await PgServer.create();
  });
  afterAll(() => server?.destroy());

  it('loses no row and doubles none: the database ends as if it had never been down', async () => {
    const refUrl = await createDb(server, 'replay_ref');
    const ref = await replayInto(refUrl);
    expect(ref.closed).toBeGreaterThan(3);

    const outUrl = await createDb(server, 'replay_outage');
    const run = await replayInto(outUrl, { afterTrades: 1, restartAfter: 3, down: () => server.stop(), up: () => server.start() });
    expect(run.closed).toBe(ref.closed);
    expect(run.queuedDuringOutage).toBeGreaterThan(0); // the outage really happened while trading went on

    const a = await rows(refUrl);
    const b = await rows(outUrl);
    expect(a.trades.filter((t) => (t as { exit_time: unknown }).exit_time !== null)).toHaveLength(ref.closed);
    expect(a.signals.length).toBeGreaterThan(a.trades.length);
    expect(b).toEqual(a);
  }, 300_000);
});
