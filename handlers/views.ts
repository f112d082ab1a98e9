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
  // BE = stop at break-even, TR = trailing stop.
  const stage = (p: OpenPositionView) => (p.trailing ? ' TR' : p.breakEven ? ' BE' : '');
  const rows = [['Symbol', 'Side', 'PnL', 'Move'], ...ps.map((p) => [p.symbol, `${p.direction === 'long' ? 'L' : 'S'} ${p.leverage}x${stage(p)}`, usd(p.unrealisedPnl, true), pct(p.movePercent)])];
  // Prices get a table of their own (entry, mark, stop), each column aligned, within a phone line.
  const detail = [
    ['', 'Entry', 'Mark', 'Stop'],
    ...ps.map((p) => [p.symbol.replace(/USDT$/, ''), price(p.entryPrice), price(p.markPrice), price(p.stopLoss)]),
  ];
  return reply([
    title(`📈 ${ps.length} open · ${usd(total, true)}`),
    table(rows, ['left', 'left', 'right', 'right']),
    table(detail, ['left', 'right', 'right', 'right']),
  ]);
}

export function closeReply(results: CloseResult[]): Reply {
  if (!results.length) return reply([text('No open positions to close.')]);
  const done = results.filter((r) => r.closed);
  const failed = results.filter((r) => !r.closed);
  const head = failed.length ? `⚠️ ${failed.length} of ${results.length} not closed` : `Closed ${results.length}`;
  const reason = done.find((r) => r.reason)?.reason;
  // Errors are free text: as lines of their own they cannot widen the table past a phone screen.
  const rows = done.map((r) => [r.symbol, '✅', r.pnlUsd === undefined ? '' : usd(r.pnlUsd, true), r.exitPrice === undefined ? '' : `@ ${price(r.exitPrice)}`]);
  return reply([
    title(head),
    ...(rows.length ? [table(rows, ['left', 'left', 'right', 'left'])] : []),
    ...failed.map((r) => text(`⚠️ ${r.symbol}: ${r.error ?? 'not closed'}`)),
    ...(reason ? [text(`Reason: ${exitLabel(reason)}`)] : []),
  ]);
}

export function helpReply(): Reply {
  return reply([title('Commands'), text(COMMANDS.map((c) => `${c.usage} — ${c.description}`).join('\n'))]);
}
