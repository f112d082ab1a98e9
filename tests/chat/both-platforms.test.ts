// Telegram and Discord at once: a decision on one platform shows on the other, a tap there
// changes nothing, and a transport that cannot connect does not stop the other.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTransports, type ChatConfig, type StartedTransports } from '../../bot/index.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/server.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram/server.js';
import { captureLogger } from './log-capture.js';
import { FakeControl, signalEvent } from './fake-control.js';

const TG_CHAT = -1001;
const TG_ALICE = { id: 11, username: 'alice' };
const DC_ALICE = { id: '100000000000000011', username: 'alice_dc' };

let tg: FakeTelegram;
let dc: FakeDiscord;
let control: FakeControl;
let chat: StartedTransports;
let log: ReturnType<typeof captureLogger>;

function config(over: Partial<ChatConfig> = {}): ChatConfig {
  return {
    TELEGRAM_BOT_TOKEN: tg.validToken,
    TELEGRAM_CHAT_ID: String(TG_CHAT),
    TELEGRAM_ALLOWED_USER_IDS: [String(TG_ALICE.id)],
    TELEGRAM_API_ROOT: tg.apiRoot,
    DISCORD_BOT_TOKEN: dc.validToken,
    DISCORD_CHANNEL_ID: '888000000000000001',
    DISCORD_ALLOWED_USER_IDS: [DC_ALICE.id],
    DISCORD_ALLOWED_ROLE_IDS: [],
    DISCORD_API_ROOT: dc.apiRoot,
    ...over,
  };
}

const opts = { minGapMs: 0, publishWaitMs: 30_000, pollTimeoutSeconds: 1, backoff: { initialMs: 50, maxMs: 200 } };

beforeEach(async () => {
  tg = await startFakeTelegram();
  dc = await startFakeDiscord();
  control = new FakeControl();
  log = captureLogger();
});

afterEach(async () => {
  await chat?.stop();
  await tg.close();
  await dc.close();
});

async function alertBoth(id: string) {
  control.addApproval(id, Date.now() + 120_000);
  await chat.publish(signalEvent(id, Date.now() + 120_000));
  const tgMsg = [...tg.messages.values()].at(-1)!;
  const dcMsg = [...dc.messages.values()].at(-1)!;
  return { tgMsg, dcMsg };
}

describe('both platforms', () => {
  it('an approval on Telegram edits the Discord alert; a Discord tap afterwards changes nothing', async () => {
    chat = await startTransports(config(), control, log.logger, opts);
    await dc.waitFor(() => dc.registeredCommands !== null);
    const { tgMsg, dcMsg } = await alertBoth('X1');
    expect(dcMsg.components[0].components.map((b: any) => b.custom_id)).toEqual(['ap:X1', 'rj:X1']);

    tg.pushCallback(TG_ALICE, tgMsg.message_id, 'ap:X1');
    await dc.waitFor(() => dc.messages.get(dcMsg.id)!.components.length === 0, 'discord alert edit');
    expect(dc.messages.get(dcMsg.id)!.content).toContain('✅ Approved by @alice (telegram) · executed at 64,250.00');
    await tg.waitFor((r) => r.method === 'editMessageText');
    expect(tg.messages.get(tgMsg.message_id)!.text).toContain('✅ Approved by @alice (telegram)');

    const late = await dc.settled(dc.pushButton(DC_ALICE, dcMsg.id, 'rj:X1'), { followUp: true });
    expect(late.followUps[0].content).toMatch(/Already decided \(executed\)/);
    expect(control.count('approve')).toBe(1);
    expect(control.count('reject')).toBe(0);
    expect(control.executions).toBe(1);
  });

  it('a tap on Discord while a Telegram approval is still executing changes nothing', async () => {
    chat = await startTransports(config(), control, log.logger, { ...opts, answerWithinMs: 20 });
    await dc.waitFor(() => dc.registeredCommands !== null);
    let release!: () => void;
    control.approveGate = new Promise<void>((r) => (release = r));
    const { tgMsg, dcMsg } = await alertBoth('X3');
    tg.pushCallback(TG_ALICE, tgMsg.message_id, 'ap:X3');
    await tg.waitFor((r) => r.method === 'answerCallbackQuery');
    const other = await dc.settled(dc.pushButton(DC_ALICE, dcMsg.id, 'rj:X3'), { followUp: true });
    expect(other.followUps[0].content).toBe('⏳ Already being decided — nothing changed');
    release();
    await dc.waitFor(() => dc.messages.get(dcMsg.id)!.components.length === 0, 'discord alert edit');
    expect(dc.messages.get(dcMsg.id)!.content).toContain('✅ Approved by @alice (telegram)');
    expect(control.count('approve')).toBe(1);
    expect(control.count('reject')).toBe(0);
  });

  it("the runtime's approval_decided (first decision wins in the store) edits the alert on both", async () => {
    chat = await startTransports(config(), control, log.logger, opts);
    await dc.waitFor(() => dc.registeredCommands !== null);
    const { tgMsg, dcMsg } = await alertBoth('X2');
    await chat.publish({ type: 'approval_decided', approvalId: 'X2', outcome: { kind: 'rejected' }, by: '@alice (discord)' });
    expect(tg.messages.get(tgMsg.message_id)!.text).toContain('❌ Rejected by @alice (discord)');
    expect(tg.messages.get(tgMsg.message_id)!.reply_markup?.inline_keyboard ?? []).toEqual([]);
    expect(dc.messages.get(dcMsg.id)!.content).toContain('❌ Rejected by @alice (discord)');
    // A repeated event does not edit again.
    const edits = tg.calls('editMessageText').length + dc.calls('PATCH', /messages/).length;
    await chat.publish({ type: 'approval_decided', approvalId: 'X2', outcome: { kind: 'rejected' }, by: '@alice (discord)' });
    expect(tg.calls('editMessageText').length + dc.calls('PATCH', /messages/).length).toBe(edits);
  });

  it('a decision for an alert this process never sent is posted as a short note', async () => {
    chat = await startTransports(config(), control, log.logger, opts);
    await dc.waitFor(() => dc.registeredCommands !== null);
    await chat.publish({ type: 'approval_decided', approvalId: 'OLD-1', outcome: { kind: 'expired' }, by: null });
    expect([...tg.messages.values()].at(-1)!.text).toBe('Signal OLD-1: ⌛ Expired — not traded');
    expect([...dc.messages.values()].at(-1)!.content).toBe('Signal OLD-1: ⌛ Expired — not traded');
  });

  it('a tap on an alert from before a restart says so and removes its buttons on both platforms', async () => {
    chat = await startTransports(config(), control, log.logger, opts);
    await dc.waitFor(() => dc.registeredCommands !== null);
    // Messages with buttons that this process did not send (the runtime no longer knows the approval).
    await chat.publish({ type: 'error', message: 'placeholder' });
    const tgOld = [...tg.messages.values()].at(-1)!;
    tgOld.reply_markup = { inline_keyboard: [[{ text: '✅ Approve', callback_data: 'ap:GONE' }]] };
    const dcOld = [...dc.messages.values()].at(-1)!;
    dcOld.components = [{ type: 1, components: [{ type: 2, style: 3, label: '✅ Approve', custom_id: 'ap:GONE' }] }];

    const id = tg.pushCallback(TG_ALICE, tgOld.message_id, 'ap:GONE');
    await tg.waitFor((r) => r.method === 'editMessageReplyMarkup');
    expect(tg.answers.get(id)!.text).toBe('This signal is no longer pending — nothing changed');
    expect(tg.messages.get(tgOld.message_id)!.reply_markup.inline_keyboard).toEqual([]);
    expect(tg.messages.get(tgOld.message_id)!.text).toBe('⚠️ placeholder');

    const tap = await dc.settled(dc.pushButton(DC_ALICE, dcOld.id, 'ap:GONE'), { followUp: true });
    expect(tap.followUps[0].content).toBe('This signal is no longer pending — nothing changed');
    expect(dc.messages.get(dcOld.id)!.components).toEqual([]);
    expect(dc.messages.get(dcOld.id)!.content).toBe('⚠️ placeholder');
    expect(control.executions).toBe(0);
  });

  it('a Discord that cannot log in is retried and reported on Telegram, which keeps working', async () => {
    chat = await startTransports(config({ DISCORD_BOT_TOKEN: 'wrong-token' }), control, log.logger, opts);
    await tg.waitFor((r) => r.method === 'sendMessage' && /Discord connection failed/.test(r.body.text));
    await chat.publish({ type: 'error', message: 'Order rejected by exchange: 110007 insufficient balance' });
    await tg.waitFor((r) => r.method === 'sendMessage' && /110007/.test(r.body.text));
    expect(dc.messages.size).toBe(0);
    expect(log.text()).not.toContain('wrong-token');
    const failures = () => log.lines().filter((l) => l.msg === 'discord: connection failed').length;
    await tg.waitFor(() => failures() >= 3);
    // people are told once per streak, not on every retry
    expect(tg.calls('sendMessage').filter((r) => /Discord connection failed/.test(r.body.text))).toHaveLength(1);
  });

  it('a Telegram server that never answers does not hold up start-up or Discord', async () => {
    const hung = createServer(() => undefined); // accepts requests, never responds
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    try {
      const root = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
      chat = await startTransports(config({ TELEGRAM_API_ROOT: root }), control, log.logger, { ...opts, startWaitMs: 300, publishWaitMs: 300 });
      await dc.waitFor(() => dc.registeredCommands !== null);
      await chat.publish({ type: 'error', message: 'still here' });
      await dc.waitFor(() => [...dc.messages.values()].some((m) => m.content === '⚠️ still here'), 'alert on discord');
      await chat.stop();
      chat = undefined as unknown as StartedTransports;
    } finally {
      hung.closeAllConnections();
      hung.close();
    }
  });

  it('tells the other platform when a failed transport connects again', async () => {
    dc.injectError('GET', /^\/gateway\/bot$/, 401, 2);
    chat = await startTransports(config(), control, log.logger, opts);
    await dc.waitFor(() => dc.registeredCommands !== null);
    await tg.waitFor((r) => r.method === 'sendMessage' && r.body.text === '⚠️ Discord connected again after 2 failed attempt(s)');
    expect(tg.calls('sendMessage').filter((r) => /Discord connection failed/.test(r.body.text))).toHaveLength(1);
  });
});
