// Messages for every BotEvent the runtime pushes: signal alerts (with the confluence breakdown and,
// in approve mode, the buttons), approval outcomes, fills, stop moves, exits, reports and errors.
import type { ExitReason, FactorName, Signal } from '../engine/types.js';
import type { ApprovalOutcome, BotEvent, StatsView } from './control.js';
import { approveButtonId, rejectButtonId } from './button-ids.js';
import { duration, hhmm, movePercent, pct, price, qty, usd, utc } from './format.js';
import { reply, table, text, title, type Block, type Reply } from './reply.js';

export type SignalEvent = Extract<BotEvent, { type: 'signal' }>;

/** The decision shown on an alert once it is known. */
export interface Decision {
  outcome: ApprovalOutcome;
  by: string | null;
}

const FACTOR_LABEL: Record<FactorName, string> = {
  htf_aligned: 'HTF trend aligned',
  htf_neutral: 'HTF neutral',
  sweep: 'Liquidity sweep',
  order_block: 'Order block',
  fvg: 'Fair value gap',
  rsi_extreme: 'RSI extreme',
  structure: 'Market structure',
};

const EXIT_LABEL: Record<ExitReason, string> = {
  take_profit: 'take profit',
  stop_loss: 'stop loss',
  break_even: 'break-even stop',
  trailing_stop: 'trailing stop',
  time_exit_profit: 'time exit in profit',
  time_exit_small_loss: 'time exit, small loss',
  end_of_data: 'end of data',
  manual: 'closed by hand',
  liquidation: 'LIQUIDATION',
  reconciled: 'reconciled with the exchange',
};

const REFUSAL_LABEL: Record<Extract<ApprovalOutcome, { kind: 'refused' }>['reason'], string> = {
  price_moved: 'price moved past the guard',
  no_slot: 'no free trade slot',
  paused: 'trading is paused',
  position_open: 'a position on this symbol is already open',
  insufficient_margin: 'not enough margin',
  error: 'an error',
};

const arrow = (d: 'long' | 'short') => (d === 'long' ? '🟢 LONG' : '🔴 SHORT');
const base = (symbol: string) => symbol.replace(/USDT$/, '');

export function factorLabel(f: FactorName): string {
  return FACTOR_LABEL[f] ?? f;
}

export function exitLabel(r: ExitReason): string {
  return EXIT_LABEL[r] ?? r;
}

/** One line describing a decision, e.g. "✅ Approved by @a (telegram) · filled at 64,250.00". */
export function decisionLine(d: Decision): string {
  const by = d.by ? ` by ${d.by}` : '';
  const o = d.outcome;
  switch (o.kind) {
    case 'executed':
      return `✅ Approved${by} · executed at ${price(o.price)}, qty ${qty(o.qty)}`;
    case 'refused':
      return `⛔ Approved${by} but not executed: ${REFUSAL_LABEL[o.reason] ?? o.reason}${o.detail ? ` (${o.detail})` : ''}`;
    case 'rejected':
      return `❌ Rejected${by}`;
    case 'expired':
      return '⌛ Expired — not traded';
    case 'already_decided':
      return `ℹ️ Already decided (${o.status})`;
  }
}

/** Short answer to the person who tapped (Telegram toast / Discord ephemeral). */
export function decisionToast(o: ApprovalOutcome): string {
  switch (o.kind) {
    case 'executed':
      return `Executed at ${price(o.price)}`;
    case 'refused':
      return `Not executed: ${REFUSAL_LABEL[o.reason] ?? o.reason}`;
    case 'rejected':
      return 'Rejected';
    case 'expired':
      return 'Too late: this signal expired';
    case 'already_decided':
      return o.status === 'unknown' ? 'This signal is no longer pending — nothing changed' : `Already decided (${o.status}) — nothing changed`;
  }
}

/** A decision that closes the approval (its buttons go away). */
export function isFinal(o: ApprovalOutcome): boolean {
  return o.kind !== 'already_decided';
}

export function signalAlert(e: SignalEvent, now: number, decision?: Decision): Reply {
  const s: Signal = e.signal;
  const t = s.targets;
  const blocks: Block[] = [title(`${arrow(s.direction)} ${s.symbol} · confidence ${Math.round(s.confidence)}/100`)];
  blocks.push(text(e.modelLoaded && s.mlProbability !== null ? `ML win probability ${Math.round(s.mlProbability)}%` : 'ML: no model (confluence score only)'));
  if (s.factors.length) {
    blocks.push(table(s.factors.map((f) => [factorLabel(f.factor), `+${f.points}`]), ['left', 'right']));
  }
  const notional = e.sizeQty * s.price;
  const margin = t.leverage > 0 ? notional / t.leverage : notional;
  // One narrow table (phone width): label, value, and % or USD in the third column.
  blocks.push(
    table(
      [
        ['Entry', price(s.price), ''],
        ['TP', price(t.takeProfit), pct(movePercent(s.price, t.takeProfit, s.direction))],
        ['SL', price(t.stopLoss), pct(movePercent(s.price, t.stopLoss, s.direction))],
        ['Lev', `${t.leverage}x`, ''],
        // Without a size yet (sized at execution) show the risk budget alone rather than "0".
        ...(e.sizeQty > 0
          ? [
              ['Size', `${qty(e.sizeQty)} ${base(s.symbol)}`, usd(notional)],
              ['Margin', usd(margin), ''],
              ['Risk', usd(e.riskUsd), ''],
            ]
          : [
              ['Size', 'at entry', ''],
              // Not known for an alert rebuilt after a restart (the risk budget is not stored).
              ...(Number.isFinite(e.riskUsd) ? [['Risk', usd(e.riskUsd), '']] : []),
            ]),
      ],
      ['left', 'right', 'right'],
    ),
  );
  if (decision) {
    blocks.push(text(decisionLine(decision)));
    return reply(blocks);
  }
  if (!e.approval) {
    blocks.push(text('⚡ Auto mode: executing now'));
    return reply(blocks);
  }
  const left = e.approval.expiresAt - now;
  blocks.push(text(left > 0 ? `⏳ Approve within ${duration(left)} (until ${hhmm(e.approval.expiresAt)} UTC)` : '⏳ Approval window is over'));
  return reply(blocks, [
    { id: approveButtonId(e.approval.id), label: '✅ Approve', style: 'success' },
    { id: rejectButtonId(e.approval.id), label: '❌ Reject', style: 'danger' },
  ]);
}

export function statsReply(s: StatsView, heading: string): Reply {
  const rows: string[][] = [
    ['Trades', String(s.trades)],
    ['Wins / losses', `${s.wins} / ${s.losses}`],
    ['Win rate', s.winRate === null ? '—' : pct(s.winRate, false, 1)],
    ['PnL', usd(s.pnlUsd, true)],
    ['Best', s.bestTrade ? `${s.bestTrade.symbol} ${usd(s.bestTrade.pnlUsd, true)}` : '—'],
    ['Worst', s.worstTrade ? `${s.worstTrade.symbol} ${usd(s.worstTrade.pnlUsd, true)}` : '—'],
    ['Signals', String(s.signalsGenerated)],
    ['Executed', String(s.signalsExecuted)],
  ];
  // Values right-aligned so the numbers line up; the span fits a phone line.
  const span = `${utc(s.from).replace(' UTC', '')} → ${utc(s.to)}`;
  return reply([title(heading), text(span), table(rows, ['left', 'right'])]);
}

/** A new message for an event, or null when the event only edits earlier messages. */
export function eventMessage(e: BotEvent, now: number): Reply | null {
  switch (e.type) {
    case 'signal':
      return signalAlert(e, now);
    case 'approval_decided':
      return null;
    case 'trade_opened':
      return reply([
        title(`${arrow(e.direction)} opened ${e.symbol} ${e.leverage}x`),
        table(
          [
            ['Entry', price(e.price), ''],
            ['Qty', qty(e.qty), `≈ ${usd(e.qty * e.price)}`],
            ['TP', price(e.takeProfit), pct(movePercent(e.price, e.takeProfit, e.direction))],
            ['SL', price(e.stopLoss), pct(movePercent(e.price, e.stopLoss, e.direction))],
          ],
          ['left', 'right', 'right'],
        ),
      ]);
    case 'stop_moved':
      return reply([
        text(`🛡 ${e.symbol} ${e.direction.toUpperCase()}: stop moved to ${price(e.stopLoss)} (${e.reason === 'break_even' ? 'break-even' : 'trailing'})`),
      ]);
    case 'trade_closed': {
      const icon = e.pnlUsd > 0 ? '💰' : e.reason === 'liquidation' ? '🚨' : '🔻';
      return reply([
        title(`${icon} Closed ${e.direction.toUpperCase()} ${e.symbol} · ${usd(e.pnlUsd, true)} (${pct(e.pnlPercent)})`),
        text(`Exit ${price(e.exitPrice)} · ${exitLabel(e.reason)}`),
      ]);
    }
    case 'daily_report':
      return statsReply(e.stats, '📅 Daily report');
    case 'error':
      return reply([text(`⚠️ ${e.message}`)]);
  }
}

/** Standalone note for a decision whose alert message this transport does not know (e.g. after a restart). */
export function decisionNote(approvalId: string, d: Decision): Reply {
  return reply([text(`Signal ${approvalId}: ${decisionLine(d)}`)]);
}
