// The numbers of the daily report for one UTC day, read from the store: trades count on the day
// they closed (as in daily_stats_view), signals on the day they were generated.
import type { StatsView } from '../../handlers/control.js';
import type { Store } from '../storage/store.js';

const DAY = 86_400_000;
/** Longest a trade can stay open and still be found for best/worst (time exits end trades long before). */
const LOOKBACK = 60 * DAY;

/** The UTC day (YYYY-MM-DD) before the one `now` falls in: what a midnight report covers. */
export function previousUtcDay(now: number): string {
  return new Date(Math.floor(now / DAY) * DAY - DAY).toISOString().slice(0, 10);
}

/** Stats of one UTC day for one source (trading mode). Also records the day in daily_stats. */
export async function dayStats(store: Pick<Store, 'dailyStats' | 'tradesBetween' | 'computeDailyStats'>, day: string, source: string): Promise<StatsView> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`day must be YYYY-MM-DD, got "${day}"`);
  const from = new Date(`${day}T00:00:00Z`);
  const to = new Date(from.getTime() + DAY);
  const rows = await store.dailyStats(day, day, source);
  const row = rows[0];
  const closed = (await store.tradesBetween(new Date(from.getTime() - LOOKBACK), to, source)).filter(
    (t) => t.exit_time !== null && t.exit_time >= from && t.exit_time < to,
  );
  let best: StatsView['bestTrade'] = null;
  let worst: StatsView['worstTrade'] = null;
  for (const t of closed) {
    const p = t.pnl_usd ?? 0;
    if (!best || p > best.pnlUsd) best = { symbol: t.symbol, pnlUsd: p };
    if (!worst || p < worst.pnlUsd) worst = { symbol: t.symbol, pnlUsd: p };
  }
  // The table the briefing names keeps one row per day; a failure here must not cost the report.
  await store.computeDailyStats(day).catch(() => undefined);
  const trades = row?.total_trades ?? 0;
  const wins = row?.winning_trades ?? 0;
  return {
    period: 'day',
    from,
    to,
    trades,
    wins,
    losses: row?.losing_trades ?? 0,
    winRate: trades ? Math.round((wins / trades) * 10_000) / 100 : null,
    pnlUsd: row?.total_pnl_usd ?? 0,
    bestTrade: best,
    worstTrade: worst,
    signalsGenerated: row?.signals_generated ?? 0,
    signalsExecuted: row?.signals_executed ?? 0,
  };
}
