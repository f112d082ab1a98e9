// Reply → Discord message body (REST JSON): markdown title, ``` tables, one action row of buttons.
import type { Reply, ButtonStyle } from '../handlers/reply.js';
import { tableLines } from '../handlers/reply.js';

const MAX_CONTENT = 2000;

// Discord button styles: Primary 1, Secondary 2, Success 3, Danger 4.
const STYLE: Record<ButtonStyle, 1 | 2 | 3 | 4> = { primary: 1, secondary: 2, success: 3, danger: 4 };

export interface DiscordButtonJson {
  type: 2;
  style: 1 | 2 | 3 | 4;
  label: string;
  custom_id: string;
}

export interface DiscordMessage {
  content: string;
  components: { type: 1; components: DiscordButtonJson[] }[];
}

/** Keeps markdown from user-visible text (symbols, names) from changing the layout. */
function escapeMd(s: string): string {
  return s.replace(/([*_~`\\])/g, '\\$1').replace(/\|\|/g, '\\|\\|');
}

export function toDiscord(r: Reply): DiscordMessage {
  const parts = r.blocks.map((b) => {
    if (b.kind === 'title') return `**${escapeMd(b.text)}**`;
    if (b.kind === 'text') return escapeMd(b.text);
    return '```\n' + tableLines(b.rows, b.align).join('\n').replace(/`/g, "'") + '\n```';
  });
  let content = parts.join('\n');
  while (content.length > MAX_CONTENT && parts.length > 1) {
    parts.pop();
    content = `${parts.join('\n')}\n…`;
  }
  return {
    content: content.slice(0, MAX_CONTENT),
    components: r.buttons.length
      ? [{ type: 1, components: r.buttons.map((b) => ({ type: 2 as const, style: STYLE[b.style], label: b.label.slice(0, 80), custom_id: b.id })) }]
      : [],
  };
}
