// Replies for /status, /positions, /close and /help: short and aligned for a phone screen.
import { COMMANDS } from './commands.js';
import type { CloseResult, OpenPositionView, StatusView } from './control.js';
import { exitLabel } from './alerts.js';
import { duration, pct, price, usd } from './format.js';
import { reply, table, text, title, type Reply } from './reply.js';

export function statusReply(s: StatusView, now: number): Reply {
  const state = s.paused ? '⏸ PAUSED — no new entries' : s.dailyLossLocked ? '🛑 Daily loss limit hit — no new entries' : '▶️ Running';
  const rows: string[][] = [
    ['Trading', s.tradingMode],
    ['Execution', s.executionMode === 'approve' ? 'approve each trade' : 'auto'],
    ['Paused', s.paused ? 'yes' : 'no'],
    ['Loss lock', s.dailyLossLocked ? 'yes' : 'no'],
    ['Exchange', s.exchangeConnected ? 'connected' : 'DISCONNECTED'],
    ['Last candle', s.lastCandleAgeSeconds === null ? '—' : `${duration(s.lastCandleAgeSeconds * 1000)} ago`],
    ['Equity', usd(s.equity)],
    ['Open trades', `${s.openTrades} / ${s.maxTrades}`],
    ['Approvals', `${s.pendingApprovals} pending`],
    ['Model', s.model.loaded ? s.model.version ?? 'loaded' : 'none'],
    ['Write queue', String(s.queueLength)],
    ['Uptime', duration(now - s.startedAt)],
  ];
  return reply([title(state), table(rows), text(`Symbols: ${s.symbols.map((x) => x.replace(/USDT$/, '')).join(' ')}`)]);
}

export function positionsReply(ps: OpenPositionView[]): Reply {
  if (!ps.length) return reply([text('No open positions.')]);
  const total = ps.reduce((a, p) => a + p.unrealisedPnl, 0);
  const rows = [['Symbol', 'Side', 'PnL', 'Move'], ...ps.map((p) => [p.symbol, `${p.direction === 'long' ? 'L' : 'S'} ${p.leverage}x`, usd(p.unrealisedPnl, true), pct(p.movePercent)])];
  const detail = ps.map((p) => [
    p.symbol.replace(/USDT$/, ''),
    `${price(p.entryPrice)}→${price(p.markPrice)}`,
    `SL ${price(p.stopLoss)}${p.breakEven ? ' BE' : ''}${p.trailing ? ' TR' : ''}`,
  ]);
  return reply([
    title(`📈 ${ps.length} open · ${usd(total, true)}`),
    table(rows, ['left', 'left', 'right', 'right']),
    table(detail, ['left', 'right', 'left']),
  ]);
}

export function closeReply(results: CloseResult[]): Reply {
  if (!results.length) return reply([text('No open positions to close.')]);
  const rows = results.map((r) =>
    r.closed
      ? [r.symbol, '✅', r.pnlUsd === undefined ? '' : usd(r.pnlUsd, true), r.exitPrice === undefined ? '' : `@ ${price(r.exitPrice)}`]
      : [r.symbol, '⚠️', r.error ?? 'not closed', ''],
  );
  const failed = results.filter((r) => !r.closed).length;
  const head = failed ? `⚠️ ${failed} of ${results.length} not closed` : `Closed ${results.length}`;
  const reason = results.find((r) => r.reason)?.reason;
  return reply([title(head), table(rows, ['left', 'left', 'right', 'left']), ...(reason ? [text(`Reason: ${exitLabel(reason)}`)] : [])]);
}

export function helpReply(): Reply {
  return reply([title('Commands'), text(COMMANDS.map((c) => `${c.usage} — ${c.description}`).join('\n'))]);
}
