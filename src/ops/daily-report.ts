// Posts the daily statistics to every chat on a cron schedule (UTC). The runtime passes the stats
// source (control.stats('day') for the previous UTC day) and the notifier's publish.
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { BotEvent, StatsView } from '../../handlers/control.js';

export const DEFAULT_DAILY_REPORT_CRON = '0 0 * * *';

export interface DailyReportOptions {
  /** Cron expression evaluated in UTC; default midnight. */
  cron?: string;
  stats: () => Promise<StatsView>;
  publish: (e: BotEvent) => Promise<void>;
  logger: Logger;
}

export interface DailyReport {
  /** Builds and publishes the report now (also what the schedule runs). */
  runNow(): Promise<void>;
  stop(): Promise<void>;
}

export function scheduleDailyReport(o: DailyReportOptions): DailyReport {
  const expr = o.cron ?? DEFAULT_DAILY_REPORT_CRON;
  if (!cron.validate(expr)) throw new Error(`DAILY_REPORT_CRON="${expr}" is not a cron expression (e.g. "0 0 * * *" for midnight UTC)`);
  const runNow = async () => {
    try {
      const stats = await o.stats();
      await o.publish({ type: 'daily_report', stats });
      o.logger.info({ trades: stats.trades, pnlUsd: stats.pnlUsd }, 'daily report published');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      o.logger.error({ err: message }, 'daily report failed');
      await o.publish({ type: 'error', message: `Daily report failed: ${message}` }).catch(() => undefined);
    }
  };
  const task: ScheduledTask = cron.schedule(expr, runNow, { timezone: 'UTC', name: 'daily-report', noOverlap: true });
  return {
    runNow,
    stop: async () => {
      await task.stop();
      await task.destroy();
    },
  };
}
