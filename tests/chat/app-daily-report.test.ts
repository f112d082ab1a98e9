// The app posts the daily report on DAILY_REPORT_CRON to the chat, with the store's numbers for
// the UTC day that ended (trades of the running mode only).
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram/server.js';
import { openStore } from '../../src/storage/open.js';
import type { TradeRecord } from '../../src/storage/store.js';
import { signal, trade } from '../storage/fixtures.js';
import { startReplayApp, tempDataDir, until, type ReplayApp } from './replay-app.js';

const CHAT = -1001;
const DAY = 86_400_000;

let tg: FakeTelegram | undefined;
let ra: ReplayApp | undefined;
let data: ReturnType<typeof tempDataDir> | undefined;

afterEach(async () => {
  await ra?.stop();
  await tg?.close();
  data?.remove();
  ra = tg = data = undefined;
});

describe('daily report in the app', () => {
  it('is posted on its cron schedule with the numbers of the store for the previous UTC day', async () => {
    tg = await startFakeTelegram();
    data = tempDataDir();
    const today = Math.floor(Date.now() / DAY) * DAY;
    const y = today - DAY; // yesterday 00:00 UTC
    const at = (ms: number) => new Date(ms);
    const closed = (symbol: string, exit: number, pnl: number, over: Partial<TradeRecord> = {}) =>
      trade({ id: randomUUID(), symbol, source: 'replay', entry_time: at(exit - 3_600_000), exit_time: at(exit), exit_price: 1, exit_reason: pnl > 0 ? 'take_profit' : 'stop_loss', pnl_usd: pnl, pnl_percent: pnl / 10, duration_minutes: 60, ...over });
    const rows = [
      closed('BTCUSDT', y + 3_600_000, 120.5),
      closed('ETHUSDT', y + 7_200_000, -40.25),
      closed('SOLUSDT', y + 20 * 3_600_000, 310.75),
      closed('DOGEUSDT', y + 23 * 3_600_000, -15),
      closed('AVAXUSDT', y + 60_000, 0), // entered the day before, closed yesterday; zero PnL is not a win
      closed('BTCUSDT', today + 60_000, 999), // today: not in the report
      closed('ETHUSDT', y - 60_000, -999), // the day before: not in the report
      closed('SOLUSDT', y + 5 * 3_600_000, 5_000, { source: 'paper' }), // another mode: not in the report
    ];
    const sigs = [
      ...[1, 2, 3, 4, 5, 6].map((h) => signal({ id: `s-${h}`, created_at: at(y + h * 3_600_000), source: 'replay', was_executed: h <= 4, skip_reason: h <= 4 ? null : 'below_threshold' })),
      signal({ id: 's-today', created_at: at(today + 1000), source: 'replay' }),
    ];
    const seed = await openStore({ DATA_DIR: data.dir });
    await seed.upsertTrades(rows);
    await seed.upsertSignals(sigs);
    await seed.flush(30_000);
    await seed.close();

    ra = await startReplayApp({
      TELEGRAM_BOT_TOKEN: tg.validToken, TELEGRAM_CHAT_ID: String(CHAT), TELEGRAM_ALLOWED_USER_IDS: '11', TELEGRAM_API_ROOT: tg.apiRoot,
      DATA_DIR: data.dir, DAILY_REPORT_CRON: '* * * * * *',
    });
    await until(() => tg!.calls('sendMessage').some((r) => String(r.body.text).includes('Daily report')), 'the daily report', 60_000);
    const text = String(tg.calls('sendMessage').find((r) => String(r.body.text).includes('Daily report'))!.body.text);
    const day = at(y).toISOString().slice(0, 10);
    expect(text).toContain(`${day} 00:00 → ${at(today).toISOString().slice(0, 10)} 00:00 UTC`);
    expect(text).toMatch(/Trades\s+5\n/);
    expect(text).toMatch(/Wins \/ losses\s+2 \/ 3\n/);
    expect(text).toMatch(/Win rate\s+40\.0%\n/);
    expect(text).toMatch(/PnL\s+\+\$376\.00\n/);
    expect(text).toMatch(/Best\s+SOLUSDT \+\$310\.75\n/);
    expect(text).toMatch(/Worst\s+ETHUSDT -\$40\.25\n/);
    expect(text).toMatch(/Signals\s+6\nExecuted\s+4/);
    // The same numbers are what the store's view says for that day.
    const view = (await ra.app.store!.dailyStats(day, day, 'replay'))[0];
    expect(view).toMatchObject({ total_trades: 5, winning_trades: 2, losing_trades: 3, total_pnl_usd: 376, signals_generated: 6, signals_executed: 4 });
  }, 180_000);
});
