// A chat page for the README: a real signal from the backtest, formatted by the bot's own alert
// builder (handlers/alerts.ts) and Telegram/Discord renderers, drawn as chat bubbles.
import type { TradeResult } from '../../engine/session.js';
import type { Signal } from '../../engine/types.js';
import { eventMessage, signalAlert, type SignalEvent } from '../../handlers/alerts.js';
import { toTelegram } from '../../bot/render-telegram.js';
import { toDiscord } from '../../bot/render-discord.js';

export interface AlertPageInput {
  signal: Signal;
  trade: TradeResult;
  /** Equity when the signal came (the risk budget shown is risk_per_trade_percent of it). */
  equity: number;
  riskPercent: number;
  approvalTimeoutSeconds: number;
  approver: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Telegram's HTML subset (<b>, <pre>) is valid HTML, so the rendered text goes in as it is. */
function telegramBubble(html: string, buttons: string[], time: string): string {
  const kb = buttons.length ? `<div class="kb">${buttons.map((b) => `<span>${esc(b)}</span>`).join('')}</div>` : '';
  // Line breaks outside <pre> become <br>; a <pre> is a block already, so the breaks around it go.
  const body = html.split(/(<pre>[\s\S]*?<\/pre>)/).map((part) => (part.startsWith('<pre>') ? part : part.replace(/^\n|\n$/g, '').replace(/\n/g, '<br>'))).join('');
  return `<div class="tg"><div class="bubble">${body}<i>${time}</i></div>${kb}</div>`;
}

/** Discord markdown: **bold** and ``` blocks only, which is all the renderer emits. */
function discordMessage(content: string, buttons: { label: string; style: number }[], time: string): string {
  const parts = content.split(/```\n?/);
  const body = parts.map((p, i) => (i % 2 ? `<pre>${esc(p.replace(/\n$/, ''))}</pre>` : esc(p).replace(/\*\*(.+?)\*\*/g, '<b>$1</b>').replace(/\\(.)/g, '$1').replace(/\n/g, '<br>'))).join('');
  const row = buttons.length ? `<div class="row">${buttons.map((b) => `<span class="s${b.style}">${esc(b.label)}</span>`).join('')}</div>` : '';
  return `<div class="dc"><div class="av">S</div><div><div class="who">SMC Ultra <span class="bot">BOT</span> <span class="ts">Today at ${time}</span></div><div class="content">${body}</div>${row}</div></div>`;
}

export function alertPage(x: AlertPageInput): string {
  const t0 = x.signal.time;
  const event: SignalEvent = {
    type: 'signal', signal: x.signal, approval: { id: '5f0c8a2e-approval', expiresAt: t0 + x.approvalTimeoutSeconds * 1000 },
    sizeQty: x.trade.qty, riskUsd: (x.equity * x.riskPercent) / 100, modelLoaded: false,
  };
  const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16);
  const now = t0 + 20_000;
  const pending = signalAlert(event, now);
  const decided = signalAlert(event, now, { outcome: { kind: 'executed', price: x.trade.entryPrice, qty: x.trade.qty }, by: x.approver });
  const closed = eventMessage({
    type: 'trade_closed', tradeId: x.trade.id, symbol: x.trade.symbol, direction: x.trade.direction, exitPrice: x.trade.exitPrice,
    pnlUsd: x.trade.netPnl, pnlPercent: x.trade.pnlPercent, reason: x.trade.exitReason,
  }, x.trade.exitTime)!;
  const tgPending = toTelegram(pending);
  const tgDecided = toTelegram(decided);
  const tgClosed = toTelegram(closed);
  const dcPending = toDiscord(pending);
  const dcDecided = toDiscord(decided);
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;background:#fff;font:14px/1.35 system-ui,'Noto Sans',sans-serif,'Noto Color Emoji'}
#page{display:flex;gap:18px;padding:16px;width:max-content}
.col{width:430px} .cap{font:600 13px system-ui,sans-serif;color:#555;margin:0 0 8px 4px}
.tgbg{background:#0e1621;border-radius:10px;padding:12px;display:flex;flex-direction:column;gap:10px}
.tg .bubble{background:#182533;color:#f5f5f5;border-radius:12px 12px 12px 4px;padding:8px 11px 6px;max-width:400px;position:relative}
.tg pre{font:13px/1.35 'DejaVu Sans Mono',monospace;color:#e9eef3;margin:4px 0;white-space:pre}
.tg i{display:block;text-align:right;color:#6d7f8f;font-size:11px;font-style:normal}
.tg .kb{display:flex;gap:4px;margin-top:4px;max-width:422px} .tg .kb span{flex:1;text-align:center;background:#1e3143;color:#fff;border-radius:8px;padding:8px 0;font-weight:600}
.dcbg{background:#313338;border-radius:10px;padding:12px 12px 12px 8px;display:flex;flex-direction:column;gap:14px;color:#dbdee1}
.dc{display:flex;gap:10px} .dc>div:last-child{flex:1;min-width:0} .dc .av{width:36px;height:36px;border-radius:50%;background:#5865f2;color:#fff;display:flex;align-items:center;justify-content:center;font-weight:700;flex:none}
.dc .who{font-weight:600;color:#f2f3f5} .dc .bot{background:#5865f2;color:#fff;font-size:10px;padding:1px 4px;border-radius:3px;vertical-align:1px}
.dc .ts{color:#949ba4;font-size:11px;font-weight:400} .dc pre{background:#2b2d31;border:1px solid #1e1f22;border-radius:4px;padding:6px 8px;margin:4px 0;font:13px/1.35 'DejaVu Sans Mono',monospace;color:#dbdee1;white-space:pre}
.dc .row{display:flex;gap:8px;margin-top:4px} .dc .row span{padding:6px 14px;border-radius:3px;color:#fff;font-weight:500}
.s3{background:#248046}.s4{background:#da373c}.s1{background:#5865f2}.s2{background:#4e5058}
</style></head><body><div id="page">
<div class="col"><div class="cap">Telegram · alert in approve mode, then the same message after a tap on Approve, then the exit</div><div class="tgbg">
${telegramBubble(tgPending.text, tgPending.reply_markup.inline_keyboard.flat().map((b) => b.text), hhmm(t0))}
${telegramBubble(tgDecided.text, [], hhmm(t0 + 20_000) + ' edited')}
${telegramBubble(tgClosed.text, [], hhmm(x.trade.exitTime))}
</div></div>
<div class="col"><div class="cap">Discord · the same alert in the alert channel, then after Approve</div><div class="dcbg">
${discordMessage(dcPending.content, dcPending.components.flatMap((r) => r.components), hhmm(t0))}
${discordMessage(dcDecided.content, [], hhmm(t0 + 20_000))}
</div></div>
</div></body></html>
`;
}
