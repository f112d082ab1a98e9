// Parsing of chat commands, shared by Telegram ("/close btc") and Discord slash commands (which
// the transport turns into the same text). Bad input gets one line saying what is wrong.
import type { ExecutionMode } from './control.js';

export type Period = 'day' | 'week' | 'month';

export type Command =
  | { name: 'status' }
  | { name: 'positions' }
  | { name: 'close'; target: string | 'all' }
  | { name: 'pause' }
  | { name: 'resume' }
  | { name: 'mode'; mode: ExecutionMode }
  | { name: 'stats'; period: Period }
  | { name: 'help' };

export type Parsed = { ok: true; command: Command } | { ok: false; message: string };

/** Command list for /help, Telegram setMyCommands and Discord slash commands. */
export const COMMANDS: { name: Command['name']; usage: string; description: string }[] = [
  { name: 'status', usage: '/status', description: 'Bot state: mode, pause, equity, open trades' },
  { name: 'positions', usage: '/positions', description: 'Open positions with PnL' },
  { name: 'close', usage: '/close <symbol>|all', description: 'Close one position now, or all (asks to confirm)' },
  { name: 'pause', usage: '/pause', description: 'Stop opening new trades (open trades stay managed)' },
  { name: 'resume', usage: '/resume', description: 'Allow new trades again' },
  { name: 'mode', usage: '/mode auto|approve', description: 'Trade signals at once, or ask first' },
  { name: 'stats', usage: '/stats [day|week|month]', description: 'Trades, win rate and PnL' },
  { name: 'help', usage: '/help', description: 'This list' },
];

const SYMBOL = /^[A-Z0-9]{2,20}USDT$/;

/** "btc" → "BTCUSDT", "ethusdt" → "ETHUSDT"; null when it cannot be a USDT perpetual. */
export function normaliseSymbol(raw: string): string | null {
  const up = raw.trim().toUpperCase().replace(/[/-]/g, '');
  const sym = up.endsWith('USDT') ? up : `${up}USDT`;
  return SYMBOL.test(sym) ? sym : null;
}

/** null when the text is not a command at all (plain chatter is ignored). */
export function parseCommand(input: string): Parsed | null {
  const trimmed = input.trim();
  if (!trimmed.startsWith('/')) return null;
  const [head, ...args] = trimmed.split(/\s+/);
  const name = head.slice(1).replace(/@\w+$/, '').toLowerCase();
  const usage = (n: string) => `Usage: ${COMMANDS.find((c) => c.name === n)?.usage}`;
  const noArgs = (command: Command): Parsed => (args.length ? { ok: false, message: `${head} takes no arguments. ${usage(name)}` } : { ok: true, command });
  switch (name) {
    case 'status':
    case 'positions':
    case 'pause':
    case 'resume':
    case 'help':
      return noArgs({ name } as Command);
    case 'start':
      return noArgs({ name: 'help' });
    case 'close': {
      if (args.length !== 1) return { ok: false, message: `Say which position to close. ${usage('close')} (e.g. /close BTCUSDT)` };
      if (args[0].toLowerCase() === 'all') return { ok: true, command: { name: 'close', target: 'all' } };
      const sym = normaliseSymbol(args[0]);
      if (!sym) return { ok: false, message: `"${args[0]}" is not a USDT perpetual symbol. ${usage('close')}` };
      return { ok: true, command: { name: 'close', target: sym } };
    }
    case 'mode': {
      const m = args[0]?.toLowerCase();
      if (args.length !== 1 || (m !== 'auto' && m !== 'approve')) return { ok: false, message: `Mode must be auto or approve. ${usage('mode')}` };
      return { ok: true, command: { name: 'mode', mode: m } };
    }
    case 'stats': {
      if (args.length === 0) return { ok: true, command: { name: 'stats', period: 'day' } };
      const p = args[0].toLowerCase();
      if (args.length !== 1 || (p !== 'day' && p !== 'week' && p !== 'month')) return { ok: false, message: `Period must be day, week or month. ${usage('stats')}` };
      return { ok: true, command: { name: 'stats', period: p } };
    }
    default:
      return { ok: false, message: `Unknown command ${head.replace(/@\w+$/, '')}. Send /help for the list.` };
  }
}
