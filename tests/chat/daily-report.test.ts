import { describe, expect, it } from 'vitest';
import { startTransports } from '../../bot/index.js';
import type { BotEvent } from '../../handlers/control.js';
import { scheduleDailyReport } from '../../src/ops/daily-report.js';
import { captureLogger } from './log-capture.js';
import { FakeControl } from './fake-control.js';

describe('daily report', () => {
  it('publishes the stats of the store and the message carries every number', async () => {
    const control = new FakeControl();
    const lines: string[] = [];
    const { logger } = captureLogger();
    const notifier = await startTransports({ TELEGRAM_ALLOWED_USER_IDS: [], DISCORD_ALLOWED_USER_IDS: [], DISCORD_ALLOWED_ROLE_IDS: [] }, control, logger, { consoleWrite: (l) => lines.push(l) });
    const report = scheduleDailyReport({ stats: () => control.stats('day'), publish: (e) => notifier.publish(e), logger });
    await report.runNow();
    await report.stop();
    expect(control.calls).toEqual([{ method: 'stats', args: ['day'] }]);
    expect(lines).toHaveLength(1);
    const text = lines[0];
    const s = control.statsView;
    expect(text).toContain('📅 Daily report');
    expect(text).toContain('2026-11-23 00:00 → 2026-11-24 00:00 UTC');
    expect(text).toMatch(new RegExp(`Trades\\s+${s.trades}\\n`));
    expect(text).toMatch(new RegExp(`Wins / losses\\s+${s.wins} / ${s.losses}\\n`));
    expect(text).toMatch(/Win rate\s+71.4%/);
    expect(text).toMatch(/PnL\s+\+\$182.37/);
    expect(text).toMatch(/Best\s+SOLUSDT \+\$96.40/);
    expect(text).toMatch(/Worst\s+DOGEUSDT -\$41.25/);
    expect(text).toMatch(/Signals\s+19\nExecuted\s+7/);
  });

  it('shows dashes for a day without trades', async () => {
    const control = new FakeControl();
    control.statsView = { ...control.statsView, trades: 0, wins: 0, losses: 0, winRate: null, pnlUsd: 0, bestTrade: null, worstTrade: null, signalsGenerated: 3, signalsExecuted: 0 };
    const lines: string[] = [];
    const { logger } = captureLogger();
    const notifier = await startTransports({ TELEGRAM_ALLOWED_USER_IDS: [], DISCORD_ALLOWED_USER_IDS: [], DISCORD_ALLOWED_ROLE_IDS: [] }, control, logger, { consoleWrite: (l) => lines.push(l) });
    await scheduleDailyReport({ stats: () => control.stats('day'), publish: (e) => notifier.publish(e), logger }).runNow();
    expect(lines[0]).toMatch(/Win rate\s+—/);
    expect(lines[0]).toMatch(/PnL\s+\$0.00/);
    expect(lines[0]).toMatch(/Best\s+—/);
  });

  it('runs on its cron schedule', async () => {
    const published: BotEvent[] = [];
    const { logger } = captureLogger();
    const control = new FakeControl();
    let resolve!: () => void;
    const got = new Promise<void>((r) => (resolve = r));
    const report = scheduleDailyReport({
      cron: '* * * * * *',
      stats: () => control.stats('day'),
      publish: async (e) => {
        published.push(e);
        resolve();
      },
      logger,
    });
    await got;
    await report.stop();
    expect(published[0]).toEqual({ type: 'daily_report', stats: control.statsView });
  });

  it('reports a failing stats source as an error event instead of throwing', async () => {
    const published: BotEvent[] = [];
    const { logger } = captureLogger();
    const report = scheduleDailyReport({ stats: () => Promise.reject(new Error('store unreachable')), publish: async (e) => void published.push(e), logger });
    await report.runNow();
    await report.stop();
    expect(published).toEqual([{ type: 'error', message: 'Daily report failed: store unreachable' }]);
  });

  it('rejects a bad cron expression with a clear message', () => {
    const { logger } = captureLogger();
    expect(() => scheduleDailyReport({ cron: 'every day', stats: async () => new FakeControl().statsView, publish: async () => {}, logger })).toThrow(
      'DAILY_REPORT_CRON="every day" is not a cron expression (e.g. "0 0 * * *" for midnight UTC)',
    );
  });
});
