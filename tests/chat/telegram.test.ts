// The real grammY client against a local fake Bot API server, with the shared handlers and a
// counting fake BotControl.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTransports, type ChatConfig, type StartedTransports } from '../../bot/index.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram/server.js';
import { captureLogger } from './log-capture.js';
import { FakeControl, position, signalEvent } from './fake-control.js';

const CHAT = -1001;
const ALICE = { id: 11, username: 'alice' };
const BOB = { id: 12, username: 'bob' };
const MALLORY = { id: 66, username: 'mallory' };

let fake: FakeTelegram;
let control: FakeControl;
let chat: StartedTransports;
let log: ReturnType<typeof captureLogger>;

function config(over: Partial<ChatConfig> = {}): ChatConfig {
  return {
    TELEGRAM_BOT_TOKEN: fake.validToken,
    TELEGRAM_CHAT_ID: String(CHAT),
    TELEGRAM_ALLOWED_USER_IDS: [String(ALICE.id), String(BOB.id)],
    TELEGRAM_API_ROOT: fake.apiRoot,
    DISCORD_ALLOWED_USER_IDS: [],
    DISCORD_ALLOWED_ROLE_IDS: [],
    ...over,
  };
}

async function start(over: Partial<ChatConfig> = {}) {
  chat = await startTransports(config(over), control, log.logger, { minGapMs: 0, publishWaitMs: 30_000, pollTimeoutSeconds: 1, backoff: { initialMs: 50, maxMs: 200 }, confirmTtlMs: 60_000 });
  await fake.waitFor((r) => r.method === 'getUpdates' && r.body.timeout === 1);
}

/** Sends a command and returns the bot's reply text. */
async function command(from: typeof ALICE, text: string, chatId = CHAT): Promise<string> {
  const before = fake.calls('sendMessage').length;
  fake.pushMessage(from, chatId, text);
  const all = await fake.waitForCount('sendMessage', before + 1);
  return all[before].body.text as string;
}

/** Taps a button; with `edits`, also waits until the bot has edited that message. */
async function tap(from: typeof ALICE, messageId: number, data: string, edits = false): Promise<Record<string, any>> {
  const editsBefore = fake.calls('editMessageText').filter((r) => r.body.message_id === messageId).length;
  const id = fake.pushCallback(from, messageId, data);
  await fake.waitFor((r) => r.method === 'answerCallbackQuery' && r.body.callback_query_id === id);
  if (edits) await fake.waitFor(() => fake.calls('editMessageText').filter((r) => r.body.message_id === messageId).length > editsBefore);
  return fake.answers.get(id)!;
}

async function alert(approvalId: string, expiresAt: number): Promise<number> {
  control.addApproval(approvalId, expiresAt);
  const before = fake.calls('sendMessage').length;
  await chat.publish(signalEvent(approvalId, expiresAt));
  const sent = fake.calls('sendMessage')[before];
  return [...fake.messages.values()].find((m) => m.text === sent.body.text)!.message_id;
}

beforeEach(async () => {
  fake = await startFakeTelegram();
  control = new FakeControl();
  log = captureLogger();
});

afterEach(async () => {
  await chat?.stop();
  await fake.close();
});

describe('telegram transport', () => {
  it('sends a signal alert with the breakdown and Approve/Reject buttons to the alert chat', async () => {
    await start();
    const id = await alert('A1', Date.now() + 120_000);
    const msg = fake.messages.get(id)!;
    expect(msg.chat_id).toBe(CHAT);
    expect(msg.text).toContain('LONG BTCUSDT · confidence 75/100');
    expect(msg.text).toContain('ML win probability 64%');
    expect(msg.text).toMatch(/Liquidity sweep\s+\+20/);
    expect(msg.text).toMatch(/TP\s+65,150.00\s+\+1.40%/);
    expect(msg.text).toMatch(/SL\s+63,800.00\s+-0.70%/);
    expect(msg.text).toMatch(/Approve within 2m/);
    const call = fake.calls('sendMessage').at(-1)!;
    expect(call.body.parse_mode).toBe('HTML');
    expect(msg.reply_markup.inline_keyboard[0].map((b: any) => b.callback_data)).toEqual(['ap:A1', 'rj:A1']);
  });

  it('an allowed Approve executes once; a second tap and a tap by a co-owner change nothing', async () => {
    await start();
    const id = await alert('A2', Date.now() + 120_000);
    const first = await tap(ALICE, id, 'ap:A2', true);
    expect(first.text).toBe('Executed at 64,250.00');
    expect(control.count('approve')).toBe(1);
    expect(control.calls[0].args).toEqual(['A2', '@alice (telegram)']);
    let msg = fake.messages.get(id)!;
    expect(msg.text).toContain('✅ Approved by @alice (telegram) · executed at 64,250.00');
    expect(msg.reply_markup?.inline_keyboard ?? []).toEqual([]);

    const second = await tap(ALICE, id, 'ap:A2');
    const third = await tap(BOB, id, 'rj:A2');
    expect(second.text).toMatch(/Already decided \(executed\)/);
    expect(third.text).toMatch(/Already decided/);
    expect(control.executions).toBe(1);
    expect(control.count('reject')).toBe(0);
    msg = fake.messages.get(id)!;
    expect(msg.text).toContain('Approved by @alice (telegram)');
  });

  it('a slow approval gets a holding answer and does not block other commands', async () => {
    chat = await startTransports(config(), control, log.logger, { minGapMs: 0, publishWaitMs: 30_000, pollTimeoutSeconds: 1, answerWithinMs: 20 });
    await fake.waitFor((r) => r.method === 'getUpdates' && r.body.timeout === 1);
    let release!: () => void;
    control.approveGate = new Promise<void>((r) => (release = r));
    const id = await alert('S1', Date.now() + 120_000);
    const answer = await tap(ALICE, id, 'ap:S1');
    expect(answer.text).toBe('⏳ Working on it — this message will show the result.');
    // the entry is still being worked on, yet commands are served
    expect(await command(BOB, '/pause')).toMatch(/Paused/);
    expect(control.executions).toBe(0);
    release();
    await fake.waitFor((r) => r.method === 'editMessageText' && r.body.message_id === id);
    expect(fake.messages.get(id)!.text).toContain('✅ Approved by @alice (telegram) · executed at 64,250.00');
    expect(control.executions).toBe(1);
  });

  it('a stranger is refused on buttons and commands, nothing is called, and the attempt is logged', async () => {
    await start();
    const id = await alert('A3', Date.now() + 120_000);
    const ans = await tap(MALLORY, id, 'ap:A3');
    expect(ans.text).toMatch(/Not authorised/);
    const reply = await command(MALLORY, '/pause');
    expect(reply).toMatch(/Not authorised/);
    expect(control.calls).toEqual([]);
    expect(control.paused).toBe(false);
    expect(fake.messages.get(id)!.reply_markup.inline_keyboard[0]).toHaveLength(2);
    const refusals = log.lines().filter((l) => /refused/.test(l.msg));
    expect(refusals.map((l) => l.userId)).toEqual(['66', '66']);
    expect(log.text()).not.toContain(fake.validToken);
  });

  it('an allow-listed user is refused in a group that is not the alert chat', async () => {
    await start();
    expect(await command(ALICE, '/pause', -5555)).toMatch(/Not authorised/);
    expect(control.count('pause')).toBe(0);
    // ...but a private chat with the bot works
    expect(await command(ALICE, '/pause', ALICE.id)).toMatch(/Paused/);
    expect(control.count('pause')).toBe(1);
  });

  it('an empty allow list means nobody', async () => {
    await start({ TELEGRAM_ALLOWED_USER_IDS: [] });
    expect(await command(ALICE, '/status')).toMatch(/Not authorised/);
    expect(control.calls).toEqual([]);
    expect(log.lines().some((l) => /TELEGRAM_ALLOWED_USER_IDS is empty/.test(l.msg))).toBe(true);
  });

  it('a tap after expiry does not trade, and the expiry decision edits the alert', async () => {
    await start();
    const id = await alert('A4', Date.now() - 1);
    const ans = await tap(ALICE, id, 'ap:A4', true);
    expect(ans.text).toMatch(/expired/i);
    expect(control.executions).toBe(0);
    expect(fake.messages.get(id)!.text).toContain('⌛ Expired — not traded');

    const id2 = await alert('A5', Date.now() + 120_000);
    const edits = fake.calls('editMessageText').length;
    await chat.publish({ type: 'approval_decided', approvalId: 'A5', outcome: { kind: 'expired' }, by: null });
    await fake.waitForCount('editMessageText', edits + 1);
    expect(fake.messages.get(id2)!.text).toContain('Expired');
    expect(fake.messages.get(id2)!.reply_markup?.inline_keyboard ?? []).toEqual([]);
  });

  it('shows a refusal at approval time (price moved past the guard) on the alert', async () => {
    await start();
    const id = await alert('A6', Date.now() + 120_000);
    await chat.publish({ type: 'approval_decided', approvalId: 'A6', outcome: { kind: 'refused', reason: 'price_moved' }, by: '@bob (discord)' });
    await fake.waitFor((r) => r.method === 'editMessageText' && r.body.message_id === id);
    expect(fake.messages.get(id)!.text).toContain('Approved by @bob (discord) but not executed: price moved past the guard');
    // a later tap here does not ask the runtime again
    expect((await tap(ALICE, id, 'ap:A6')).text).toMatch(/Already decided/);
    expect(control.count('approve')).toBe(0);
  });

  it('/close all needs its confirmation, once, by the person who asked', async () => {
    await start();
    control.openPositions = [position('BTCUSDT', 12.5), position('ETHUSDT', -3)];
    const text = await command(ALICE, '/close all');
    expect(text).toContain('Close ALL 2 positions at market?');
    expect(control.count('closeAll')).toBe(0);
    const msg = [...fake.messages.values()].at(-1)!;
    const [confirm] = msg.reply_markup.inline_keyboard[0].map((b: any) => b.callback_data);
    expect((await tap(BOB, msg.message_id, confirm)).text).toMatch(/Only the person who asked/);
    expect(control.count('closeAll')).toBe(0);
    expect((await tap(ALICE, msg.message_id, confirm, true)).text).toBe('Closed 2 of 2');
    expect(control.count('closeAll')).toBe(1);
    expect(fake.messages.get(msg.message_id)!.text).toMatch(/BTCUSDT\s+✅\s+\+\$12.50/);
    expect((await tap(ALICE, msg.message_id, confirm, true)).text).toMatch(/already used/);
    expect(control.count('closeAll')).toBe(1);
  });

  it('/close with a symbol closes it; bad arguments get one clear line', async () => {
    await start();
    control.openPositions = [position('SOLUSDT', 4)];
    expect(await command(ALICE, '/close sol')).toMatch(/SOLUSDT\s+✅/);
    expect(control.calls.at(-1)).toEqual({ method: 'close', args: ['SOLUSDT', '@alice (telegram)'] });
    expect(await command(ALICE, '/close')).toBe('Say which position to close. Usage: /close &lt;symbol&gt;|all (e.g. /close BTCUSDT)');
    expect(await command(ALICE, '/mode yolo')).toMatch(/^Mode must be auto or approve/);
    expect(await command(ALICE, '/frobnicate')).toBe('Unknown command /frobnicate. Send /help for the list.');
    expect(control.count('close')).toBe(1);
    expect(control.count('setMode')).toBe(0);
  });

  it('/pause and /resume are reflected by /status; /mode and /stats reach the control', async () => {
    await start();
    expect(await command(ALICE, '/status')).toContain('▶️ Running');
    expect(await command(ALICE, '/pause')).toMatch(/Open trades are still managed/);
    fake.pushMessage(ALICE, CHAT, '/pause@some_other_bot');
    const paused = await command(ALICE, '/status@smc_ultra_bot');
    expect(control.count('pause')).toBe(1);
    expect(paused).toContain('PAUSED');
    expect(paused).toMatch(/Paused\s+yes/);
    await command(BOB, '/resume');
    expect(await command(ALICE, '/status')).toMatch(/Paused\s+no/);
    expect(control.calls.filter((c) => c.method === 'pause' || c.method === 'resume').map((c) => c.args[0])).toEqual(['@alice (telegram)', '@bob (telegram)']);
    await command(ALICE, '/mode auto');
    expect(control.mode).toBe('auto');
    const stats = await command(ALICE, '/stats week');
    expect(control.calls.at(-1)).toEqual({ method: 'stats', args: ['week'] });
    expect(stats).toMatch(/Win rate\s+71.4%/);
    expect(fake.calls('setMyCommands')[0].body.commands.map((c: any) => c.command)).toEqual(['status', 'positions', 'close', 'pause', 'resume', 'mode', 'stats', 'help']);
  });

  it('a failing handler or a failing reply does not stop the bot', async () => {
    await start();
    control.failNext.add('status');
    expect(await command(ALICE, '/status')).toBe('⚠️ /status failed: status blew up (test)');
    // the reply itself fails (Telegram 400): grammY's error handler logs it, polling goes on
    fake.injectError('sendMessage', 400, 'Bad Request: chat not found');
    fake.pushMessage(ALICE, CHAT, '/help');
    await fake.waitFor((r) => r.method === 'sendMessage' && /Commands/.test(r.body.text));
    expect(await command(ALICE, '/status')).toContain('Running');
    expect(log.lines().some((l) => l.msg === 'telegram: handler failed')).toBe(true);
  });

  it('a decision published while its alert is still queued edits that alert (order kept)', async () => {
    chat = await startTransports(config(), control, log.logger, { minGapMs: 0, publishWaitMs: 50, pollTimeoutSeconds: 1 });
    await fake.waitFor((r) => r.method === 'getUpdates' && r.body.timeout === 1);
    fake.inject429('sendMessage', 1);
    await chat.publish(signalEvent('Q1', Date.now() + 120_000)); // returns before the retried send
    await chat.publish({ type: 'approval_decided', approvalId: 'Q1', outcome: { kind: 'expired' }, by: null });
    await fake.waitFor((r) => r.method === 'editMessageText');
    const texts = [...fake.messages.values()].map((m) => m.text);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain('LONG BTCUSDT');
    expect(texts[0]).toContain('⌛ Expired — not traded');
  });

  it('retries a message after a 429 with retry_after', async () => {
    await start();
    fake.inject429('sendMessage', 1);
    await chat.publish({ type: 'stop_moved', tradeId: 'T1', symbol: 'ETHUSDT', direction: 'short', stopLoss: 3010.5, reason: 'break_even' });
    const calls = fake.calls('sendMessage');
    expect(calls).toHaveLength(2);
    expect(calls[1].body.text).toBe('🛡 ETHUSDT SHORT: stop moved to 3,010.50 (break-even)');
    expect([...fake.messages.values()].filter((m) => m.text.includes('ETHUSDT SHORT'))).toHaveLength(1);
    expect(log.lines().some((l) => /rate limited/.test(l.msg) && l.retryAfterSeconds === 1)).toBe(true);
  });

  it('resumes polling after a 409 conflict (another instance polled the same token)', async () => {
    await start();
    fake.injectError('getUpdates', 409, 'Conflict: terminated by other getUpdates request');
    await fake.waitFor(() => log.lines().some((l) => l.msg === 'telegram: connection failed' && /409/.test(l.err)));
    expect(await command(ALICE, '/status')).toContain('Running');
    expect(fake.calls('deleteWebhook').map((r) => r.body.drop_pending_updates)).toEqual([true, false]);
  });

  it('retries connecting with back-off and reports it; publishing never throws meanwhile', async () => {
    fake.injectError('getMe', 502, 'Bad Gateway', 3);
    chat = await startTransports(config(), control, log.logger, { minGapMs: 0, publishWaitMs: 30_000, pollTimeoutSeconds: 1, backoff: { initialMs: 20, maxMs: 100 } });
    await expect(chat.publish({ type: 'error', message: 'exchange unreachable' })).resolves.toBeUndefined();
    await fake.waitFor((r) => r.method === 'getUpdates' && r.body.timeout === 1);
    expect(fake.calls('getMe')).toHaveLength(4);
    expect(log.lines().filter((l) => l.msg === 'telegram: connection failed')).toHaveLength(3);
    expect(await command(ALICE, '/help')).toContain('/close &lt;symbol&gt;|all');
  });
});
