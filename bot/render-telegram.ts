// Reply → Telegram message (HTML parse mode): bold title, monospace <pre> tables, inline buttons.
import type { InlineKeyboardMarkup } from 'grammy/types';
import type { Reply } from '../handlers/reply.js';
import { tableLines } from '../handlers/reply.js';

const MAX_TEXT = 4096;

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface TelegramMessage {
  text: string;
  parse_mode: 'HTML';
  reply_markup: InlineKeyboardMarkup;
}

export function toTelegram(r: Reply): TelegramMessage {
  const parts = r.blocks.map((b) => {
    if (b.kind === 'title') return `<b>${escapeHtml(b.text)}</b>`;
    if (b.kind === 'text') return escapeHtml(b.text);
    return `<pre>${escapeHtml(tableLines(b.rows, b.align).join('\n'))}</pre>`;
  });
  let text = parts.join('\n');
  // Cutting HTML could break a tag; fall back to dropping whole trailing blocks.
  while (text.length > MAX_TEXT && parts.length > 1) {
    parts.pop();
    text = `${parts.join('\n')}\n…`;
  }
  return {
    text: text.slice(0, MAX_TEXT),
    parse_mode: 'HTML',
    reply_markup: { inline_keyboard: r.buttons.length ? [r.buttons.map((b) => ({ text: b.label, callback_data: b.id }))] : [] },
  };
}
