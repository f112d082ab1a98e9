// The transport-agnostic parts: parsing, authorization, button ids, confirmations and message text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventMessage, signalAlert } from '../../handlers/alerts.js';
import { isAllowed, type AllowLists } from '../../handlers/auth.js';
import { approveButtonId, MAX_BUTTON_ID_BYTES, parseButtonId } from '../../handlers/button-ids.js';
import { ChatHandlers, errText } from '../../handlers/chat.js';
import { normaliseSymbol, parseCommand } from '../../handlers/commands.js';
import { ConfirmationBook } from '../../handlers/confirmations.js';
import { price, usd } from '../../handlers/format.js';
import { tableLines, toPlainText } from '../../handlers/reply.js';
import { positionsReply } from '../../handlers/views.js';
import { toDiscord } from '../../bot/render-discord.js';
import { toTelegram } from '../../bot/render-telegram.js';
import { captureLogger } from './log-capture.js';
import { FakeControl, position, sampleSignal, signalEvent } from './fake-control.js';

describe('parseCommand', () => {
  it('parses every command and its arguments', () => {
    expect(parseCommand('/status')).toEqual({ ok: true, command: { name: 'status' } });
    expect(parseCommand('  /POSITIONS@smc_bot ')).toEqual({ ok: true, command: { name: 'positions' } });
    expect(parseCommand('/close eth')).toEqual({ ok: true, command: { name: 'close', target: 'ETHUSDT' } });
    expect(parseCommand('/close ALL')).toEqual({ ok: true, command: { name: 'close', target: 'all' } });
    expect(parseCommand('/mode Auto')).toEqual({ ok: true, command: { name: 'mode', mode: 'auto' } });
    expect(parseCommand('/stats')).toEqual({ ok: true, command: { name: 'stats', period: 'day' } });
    expect(parseCommand('/stats month')).toEqual({ ok: true, command: { name: 'stats', period: 'month' } });
    expect(parseCommand('/start')).toEqual({ ok: true, command: { name: 'help' } });
  });

  it('ignores plain text and gives one clear line for bad input', () => {
    expect(parseCommand('hello bot')).toBeNull();
    expect(parseCommand('/stats year')).toEqual({ ok: false, message: 'Period must be day, week or month. Usage: /stats [day|week|month]' });
    expect(parseCommand('/pause now')).toEqual({ ok: false, message: '/pause takes no arguments. Usage: /pause' });
    expect(parseCommand('/close BTC ETH')).toMatchObject({ ok: false });
    expect(parseCommand('/close 💥')).toEqual({ ok: false, message: '"💥" is not a USDT perpetual symbol. Usage: /close <symbol>|all' });
    expect(parseCommand('/moon')).toEqual({ ok: false, message: 'Unknown command /moon. Send /help for the list.' });
  });

  it('normalises symbols', () => {
    expect(normaliseSymbol('btc')).toBe('BTCUSDT');
    expect(normaliseSymbol('SOL/USDT')).toBe('SOLUSDT');
    expect(normaliseSymbol('1000pepe')).toBe('1000PEPEUSDT');
    expect(normaliseSymbol('b')).toBeNull();
  });

  it('never throws on any input', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      const r = parseCommand(s);
      expect(r === null || typeof r.ok === 'boolean').toBe(true);
    }));
  });
});

describe('isAllowed', () => {
  const lists: AllowLists = { telegramUserIds: ['11'], telegramChatId: '-100', discordUserIds: ['21'], discordRoleIds: ['31'] };
  it('allows listed users in the alert chat or privately, and Discord users or role holders', () => {
    expect(isAllowed(lists, { platform: 'telegram', userId: '11', chatId: '-100' })).toBe(true);
    expect(isAllowed(lists, { platform: 'telegram', userId: '11', chatId: '11' })).toBe(true);
    expect(isAllowed(lists, { platform: 'discord', userId: '21' })).toBe(true);
    expect(isAllowed(lists, { platform: 'discord', userId: '99', roleIds: ['5', '31'] })).toBe(true);
  });
  it('refuses everyone else, other groups, and ids from the other platform', () => {
    expect(isAllowed(lists, { platform: 'telegram', userId: '12', chatId: '-100' })).toBe(false);
    expect(isAllowed(lists, { platform: 'telegram', userId: '11', chatId: '-200' })).toBe(false);
    expect(isAllowed(lists, { platform: 'telegram', userId: '21' })).toBe(false);
    expect(isAllowed(lists, { platform: 'discord', userId: '11', roleIds: ['5'] })).toBe(false);
  });
  it('an empty list means nobody', () => {
    const none: AllowLists = { telegramUserIds: [], discordUserIds: [], discordRoleIds: [] };
    fc.assert(fc.property(fc.constantFrom('telegram' as const, 'discord' as const), fc.string(), fc.array(fc.string()), (platform, userId, roleIds) => {
      expect(isAllowed(none, { platform, userId, roleIds })).toBe(false);
    }));
  });
});

describe('button ids', () => {
  it('round-trip and stay within Telegram\'s 64 bytes', () => {
    expect(parseButtonId(approveButtonId('3f1c9a8e-1111-4444-8888-123456789abc'))).toEqual({ kind: 'approve', approvalId: '3f1c9a8e-1111-4444-8888-123456789abc' });
    expect(parseButtonId('rj:A')).toEqual({ kind: 'reject', approvalId: 'A' });
    expect(parseButtonId('zz:A')).toBeNull();
    expect(() => approveButtonId('x'.repeat(MAX_BUTTON_ID_BYTES))).toThrow(/longer than 64 bytes/);
  });
});

describe('ConfirmationBook', () => {
  it('is single use, bound to the asker, and expires', () => {
    let n = 0;
    const book = new ConfirmationBook(30_000, () => `n${++n}`);
    const a = book.open({ action: 'close_all', platform: 'telegram', userId: '1' }, 1_000);
    expect(book.take(a.nonce, { platform: 'discord', userId: '1' }, 2_000)).toEqual({ ok: false, reason: 'other_user' });
    expect(book.take(a.nonce, { platform: 'telegram', userId: '1' }, 2_000)).toMatchObject({ ok: true });
    expect(book.take(a.nonce, { platform: 'telegram', userId: '1' }, 2_000)).toEqual({ ok: false, reason: 'unknown' });
    const b = book.open({ action: 'close_all', platform: 'telegram', userId: '1' }, 1_000);
    expect(book.take(b.nonce, { platform: 'telegram', userId: '1' }, 31_000)).toEqual({ ok: false, reason: 'expired' });
  });
});

describe('ChatHandlers', () => {
  const actor = { platform: 'telegram' as const, userId: '11', roleIds: [], name: '@alice', chatId: '11' };
  function core(control: FakeControl, now: () => number = () => 1_000_000) {
    return new ChatHandlers({ control, logger: captureLogger().logger, now, confirmTtlMs: 30_000, allow: { telegramUserIds: ['11'], discordUserIds: [], discordRoleIds: [] } });
  }

  it('a /close all confirmation expires', async () => {
    const control = new FakeControl();
    control.openPositions = [position('BTCUSDT', 1)];
    let t = 1_000_000;
    const c = core(control, () => t);
    const r = await c.onCommand(actor, '/close all');
    t += 30_001;
    const res = await c.onButton(actor, r!.buttons[0].id);
    expect(res.toast).toBe('This confirmation expired. Send /close all again.');
    expect(control.count('closeAll')).toBe(0);
  });

  it('/close all with nothing open says so without a button', async () => {
    const r = await core(new FakeControl()).onCommand(actor, '/close all');
    expect(r).toEqual({ blocks: [{ kind: 'text', text: 'No open positions to close.' }], buttons: [] });
  });

  it('a button from an old or foreign message is answered, not thrown', async () => {
    const control = new FakeControl();
    expect((await core(control).onButton(actor, 'garbage')).toast).toBe('This button is no longer valid.');
    control.failNext.add('approve');
    expect((await core(control).onButton(actor, 'ap:Z')).toast).toBe('⚠️ Failed: approve blew up (test)');
  });
});

describe('errText', () => {
  it('keeps credentials and tokens out of chat replies', () => {
    expect(errText(new Error('connect ECONNREFUSED postgres://app:s3cret@db:5432/smc'))).toBe('connect ECONNREFUSED postgres://***@db:5432/smc');
    expect(errText(new Error('POST https://api.telegram.org/bot123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage'))).toBe('POST https://api.telegram.org/bot<token>/sendMessage');
  });
});

describe('alert text', () => {
  it('short signal without a model, in auto mode', () => {
    const s = sampleSignal({ direction: 'short', symbol: 'DOGEUSDT', price: 0.2, mlProbability: null, targets: { tpDistance: 0.01, slDistance: 0.005, takeProfit: 0.19, stopLoss: 0.205, leverage: 10 } });
    const text = toPlainText(signalAlert({ ...signalEvent(null, 0, s), modelLoaded: false }, 0));
    expect(text).toContain('🔴 SHORT DOGEUSDT');
    expect(text).toContain('ML: no model (confluence score only)');
    expect(text).toMatch(/TP\s+0.19000\s+\+5.00%/);
    expect(text).toMatch(/SL\s+0.20500\s+-2.50%/);
    expect(text).toContain('⚡ Auto mode: executing now');
    expect(text).not.toContain('[✅ Approve]');
  });

  it('an alert without a size yet shows the risk budget, not a zero size', () => {
    const text = toPlainText(signalAlert({ ...signalEvent('A', 120_000), sizeQty: 0, riskUsd: 102.5 }, 0));
    expect(text).toMatch(/Size\s+at entry/);
    expect(text).toMatch(/Risk\s+\$102.50/);
    expect(text).not.toMatch(/margin/i);
  });

  it('exits, fills and errors', () => {
    const closed = toPlainText(eventMessage({ type: 'trade_closed', tradeId: 'T', symbol: 'BTCUSDT', direction: 'long', exitPrice: 65150, pnlUsd: 13.9, pnlPercent: 9.8, reason: 'take_profit' }, 0)!);
    expect(closed).toBe('💰 Closed LONG BTCUSDT · +$13.90 (+9.80%)\nExit 65,150.00 · take profit');
    const opened = toPlainText(eventMessage({ type: 'trade_opened', tradeId: 'T', symbol: 'ETHUSDT', direction: 'short', price: 3000, qty: 0.5, leverage: 5, stopLoss: 3030, takeProfit: 2940 }, 0)!);
    expect(opened).toMatch(/🔴 SHORT opened ETHUSDT 5x/);
    expect(opened).toMatch(/SL\s+3,030.00\s+-1.00%/);
    expect(toPlainText(eventMessage({ type: 'error', message: 'WebSocket down' }, 0)!)).toBe('⚠️ WebSocket down');
    expect(eventMessage({ type: 'approval_decided', approvalId: 'A', outcome: { kind: 'rejected' }, by: null }, 0)).toBeNull();
  });

  it('/positions: one aligned row per position and a total', () => {
    const text = toPlainText(positionsReply([position('BTCUSDT', 12.5), { ...position('DOGEUSDT', -3.2), direction: 'short', movePercent: -0.4, breakEven: true }]));
    expect(text.split('\n').slice(0, 4)).toEqual([
      '📈 2 open · +$9.30',
      'Symbol    Side         PnL    Move',
      'BTCUSDT   L 5x     +$12.50  +1.00%',
      'DOGEUSDT  S 5x BE   -$3.20  -0.40%',
    ]);
    expect(text.split('\n').slice(4)).toEqual([
      '        Entry     Mark    Stop',
      'BTC   100.000  101.000  98.000',
      'DOGE  100.000  101.000  98.000',
    ]);
    expect(toPlainText(positionsReply([]))).toBe('No open positions.');
  });

  it('formats numbers for people', () => {
    expect(price(64250)).toBe('64,250.00');
    expect(price(0.000012345)).toBe('0.00001235');
    expect(usd(-3.2)).toBe('-$3.20');
    expect(usd(3.2, true)).toBe('+$3.20');
    expect(usd(0, true)).toBe('$0.00');
    expect(tableLines([['a', '1'], ['bbb', '22']], ['left', 'right'])).toEqual(['a     1', 'bbb  22']);
  });

  it('renders safely: HTML escaped for Telegram, markdown kept inert for Discord, limits respected', () => {
    const r = { blocks: [{ kind: 'text' as const, text: '<b>x</b> & **y** `z`' }], buttons: [] };
    expect(toTelegram(r).text).toBe('&lt;b&gt;x&lt;/b&gt; &amp; **y** `z`');
    expect(toDiscord(r).content).toBe('<b>x</b> & \\*\\*y\\*\\* \\`z\\`');
    const long = { blocks: Array.from({ length: 100 }, (_, i) => ({ kind: 'text' as const, text: `${i} ${'x'.repeat(80)}` })), buttons: [] };
    expect(toTelegram(long).text.length).toBeLessThanOrEqual(4096);
    expect(toDiscord(long).content.length).toBeLessThanOrEqual(2000);
  });
});
