// Platform-neutral replies. Handlers build these; bot/ renders them for Telegram (HTML) and
// Discord (markdown + components), so both platforms show the same content.

export type Block =
  | { kind: 'title'; text: string }
  | { kind: 'text'; text: string }
  /** Monospace table; cells are already formatted strings. `align` per column, default left. */
  | { kind: 'table'; rows: string[][]; align?: ('left' | 'right')[] };

export type ButtonStyle = 'primary' | 'success' | 'danger' | 'secondary';

export interface Button {
  /** Opaque id carried back on a tap (Telegram callback_data, Discord custom_id); at most 64 bytes. */
  id: string;
  label: string;
  style: ButtonStyle;
}

export interface Reply {
  blocks: Block[];
  /** One row of buttons; empty = no buttons (an edit with none removes them). */
  buttons: Button[];
}

export const title = (text: string): Block => ({ kind: 'title', text });
export const text = (t: string): Block => ({ kind: 'text', text: t });
export const table = (rows: string[][], align?: ('left' | 'right')[]): Block => ({ kind: 'table', rows, align });
export const reply = (blocks: Block[], buttons: Button[] = []): Reply => ({ blocks, buttons });

/** Pads the cells of a table into aligned lines (for monospace output). */
export function tableLines(rows: string[][], align: ('left' | 'right')[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows.map((row) =>
    row
      .map((c, i) => {
        const pad = ' '.repeat(widths[i] - [...c].length);
        return align[i] === 'right' ? pad + c : c + pad;
      })
      .join('  ')
      .trimEnd(),
  );
}

/** Plain-text rendering (console, logs, tests). */
export function toPlainText(r: Reply): string {
  const parts = r.blocks.map((b) => (b.kind === 'table' ? tableLines(b.rows, b.align).join('\n') : b.text));
  if (r.buttons.length) parts.push(r.buttons.map((b) => `[${b.label}]`).join(' '));
  return parts.join('\n');
}
