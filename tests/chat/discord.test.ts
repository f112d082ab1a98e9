// The real discord.js client against a local fake REST API and gateway, with the shared handlers
// and a counting fake BotControl.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTransports, type ChatConfig, type StartedTransports } from '../../bot/index.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/server.js';
import { captureLogger } from './log-capture.js';
import { FakeControl, position, signalEvent } from './fake-control.js';

const CHANNEL = '888000000000000001';
const TRADER_ROLE = '444000000000000001';
const ALICE = { id: '100000000000000011', username: 'alice' };
const ROLE_HOLDER = { id: '100000000000000022', username: 'carol', roles: [TRADER_ROLE] };
const MALLORY = { id: '100000000000000066', username: 'mallory', roles: ['444000000000000999'] };
const EPHEMERAL = 64;

let fake: FakeDiscord;
let control: FakeControl;
let chat: StartedTransports;
let log: ReturnType<typeof captureLogger>;

function config(over: Partial<ChatConfig> = {}): ChatConfig {
  return {
    TELEGRAM_ALLOWED_USER_IDS: [],
    DISCORD_BOT_TOKEN: fake.validToken,
    DISCORD_CHANNEL_ID: CHANNEL,
    DISCORD_ALLOWED_USER_IDS: [ALICE.id],
    DISCORD_ALLOWED_ROLE_IDS: [TRADER_ROLE],
    DISCORD_API_ROOT: fake.apiRoot,
    ...over,
  };
}

async function start(over: Partial<ChatConfig> = {}) {
  chat = await startTransports(config(over), control, log.logger, { minGapMs: 0, publishWaitMs: 30_000, backoff: { initialMs: 50, maxMs: 200 } });
  await fake.waitFor(() => fake.registeredCommands !== null, 'slash command registration');
}

async function slash(user: typeof ALICE, name: string, options: Record<string, string> = {}) {
  return fake.settled(fake.pushSlashCommand(user, name, options));
}

async function alert(approvalId: string, expiresAt: number): Promise<string> {
  control.addApproval(approvalId, expiresAt);
  const before = fake.messages.size;
  await chat.publish(signalEvent(approvalId, expiresAt));
  expect(fake.messages.size).toBe(before + 1);
  return [...fake.messages.keys()].at(-1)!;
}

beforeEach(async () => {
  fake = await startFakeDiscord();
  control = new FakeControl();
  log = captureLogger();
});

afterEach(async () => {
  await chat?.stop();
  await fake.close();
});

describe('discord transport', () => {
  it('logs in through the gateway, registers the slash commands and posts alerts with buttons', async () => {
    await start();
    expect(fake.identifies).toHaveLength(1);
    expect(fake.calls('PUT', /^\/applications\/777000000000000001\/commands$/)).toHaveLength(1);
    expect(fake.registeredCommands!.map((c) => c.name)).toEqual(['status', 'positions', 'close', 'pause', 'resume', 'mode', 'stats', 'help']);
    expect(fake.registeredCommands!.find((c) => c.name === 'mode').options[0].choices.map((c: any) => c.value)).toEqual(['auto', 'approve']);
    const id = await alert('D1', Date.now() + 120_000);
    const msg = fake.messages.get(id)!;
    expect(msg.channel_id).toBe(CHANNEL);
    expect(msg.content).toContain('**🟢 LONG BTCUSDT · confidence 75/100**');
    expect(msg.content).toMatch(/```\nHTF trend aligned\s+\+25/);
    expect(msg.components[0].components.map((b: any) => [b.custom_id, b.style])).toEqual([
      ['ap:D1', 3],
      ['rj:D1', 4],
    ]);
  });

  it('an allowed Approve executes once and edits the alert; later taps change nothing', async () => {
    await start();
    const id = await alert('D2', Date.now() + 120_000);
    const tap = await fake.settled(fake.pushButton(ALICE, id, 'ap:D2'), { followUp: true });
    expect(tap.callbackType).toBe(6);
    expect(tap.followUps[0]).toEqual({ content: 'Executed at 64,250.00', flags: EPHEMERAL });
    expect(control.count('approve')).toBe(1);
    expect(control.calls[0].args).toEqual(['D2', '@alice (discord)']);
    expect(fake.messages.get(id)!.content).toContain('✅ Approved by @alice (discord) · executed at 64,250.00');
    expect(fake.messages.get(id)!.components).toEqual([]);

    const again = await fake.settled(fake.pushButton(ROLE_HOLDER, id, 'rj:D2'), { followUp: true });
    expect(again.followUps[0].content).toMatch(/Already decided \(executed\)/);
    expect(control.executions).toBe(1);
    expect(control.count('reject')).toBe(0);
  });

  it('a member with an allowed role may command; a stranger is refused privately and nothing is called', async () => {
    await start();
    const ok = await slash(ROLE_HOLDER, 'pause');
    expect(ok.callbackType).toBe(5);
    expect(ok.reply!.content).toMatch(/Paused: no new entries/);
    expect(control.calls.map((c) => c.method)).toEqual(['pause']);

    const id = await alert('D3', Date.now() + 120_000);
    const refusedCmd = await slash(MALLORY, 'resume');
    const refusedTap = await fake.settled(fake.pushButton(MALLORY, id, 'ap:D3'));
    for (const r of [refusedCmd, refusedTap]) {
      expect(r.callbackType).toBe(4);
      expect(r.reply!.content).toMatch(/Not authorised/);
      expect(r.reply!.flags).toBe(EPHEMERAL);
    }
    expect(control.calls.map((c) => c.method)).toEqual(['pause']);
    expect(control.paused).toBe(true);
    expect(fake.messages.get(id)!.components[0].components).toHaveLength(2);
    expect(log.lines().filter((l) => /refused/.test(l.msg)).map((l) => l.userId)).toEqual([MALLORY.id, MALLORY.id]);
  });

  it('/status reflects /pause and /resume; options reach the shared parser', async () => {
    await start();
    expect((await slash(ALICE, 'status')).reply!.content).toContain('▶️ Running');
    await slash(ALICE, 'pause');
    expect((await slash(ALICE, 'status')).reply!.content).toMatch(/PAUSED[\s\S]*Paused\s+yes/);
    await slash(ALICE, 'resume');
    expect((await slash(ALICE, 'status')).reply!.content).toMatch(/Paused\s+no/);
    await slash(ALICE, 'stats', { period: 'month' });
    expect(control.calls.at(-1)).toEqual({ method: 'stats', args: ['month'] });
    const bad = await slash(ALICE, 'close', { target: 'not-a-coin!' });
    expect(bad.reply!.content).toMatch(/is not a USDT perpetual symbol/);
    expect(control.count('close')).toBe(0);
  });

  it('/close all asks for confirmation; only the confirm button closes, once', async () => {
    await start();
    control.openPositions = [position('BTCUSDT', 5), position('ETHUSDT', 7)];
    const ask = await slash(ALICE, 'close', { target: 'all' });
    expect(ask.reply!.content).toContain('Close ALL 2 positions at market?');
    expect(control.count('closeAll')).toBe(0);
    const confirmId = ask.reply!.components[0].components[0].custom_id as string;
    const cancelId = ask.reply!.components[0].components[1].custom_id as string;
    const msgId = ask.replyMessageId!;
    const wrong = await fake.settled(fake.pushButton(ROLE_HOLDER, msgId, confirmId), { followUp: true });
    expect(wrong.followUps[0].content).toMatch(/Only the person who asked/);
    const done = await fake.settled(fake.pushButton(ALICE, msgId, confirmId), { followUp: true });
    expect(done.followUps[0].content).toBe('Closed 2 of 2');
    expect(control.count('closeAll')).toBe(1);
    expect(fake.messages.get(msgId)!.content).toMatch(/\*\*Closed 2\*\*\n```\nBTCUSDT\s+✅\s+\+\$5.00/);
    expect(fake.messages.get(msgId)!.components).toEqual([]);
    const late = await fake.settled(fake.pushButton(ALICE, msgId, cancelId), { followUp: true });
    expect(late.followUps[0].content).toBe('Nothing to cancel any more.');
    expect(control.count('closeAll')).toBe(1);
  });

  it('a handler that throws answers with an error and the bot keeps serving', async () => {
    await start();
    control.failNext.add('positions');
    expect((await slash(ALICE, 'positions')).reply!.content).toBe('⚠️ /positions failed: positions blew up (test)');
    expect((await slash(ALICE, 'positions')).reply!.content).toBe('No open positions.');
  });

  it('waits out a 429 on posting an alert and posts it once', async () => {
    await start();
    fake.inject429('POST', /^\/channels\/\d+\/messages$/, 0.3);
    await chat.publish({ type: 'trade_closed', tradeId: 'T', symbol: 'AVAXUSDT', direction: 'long', exitPrice: 31.2, pnlUsd: -8.5, pnlPercent: -4.2, reason: 'stop_loss' });
    expect(fake.calls('POST', /^\/channels\/\d+\/messages$/)).toHaveLength(2);
    expect([...fake.messages.values()].map((m) => m.content)).toEqual(['**🔻 Closed LONG AVAXUSDT · -$8.50 (-4.20%)**\nExit 31.200 · stop loss']);
  });

  it('posts alerts over REST while the gateway is not ready', async () => {
    fake.sendReady = false;
    chat = await startTransports(config(), control, log.logger, { minGapMs: 0, publishWaitMs: 30_000, startWaitMs: 200 });
    await fake.waitFor(() => fake.identifies.length === 1, 'identify');
    await chat.publish({ type: 'stop_moved', tradeId: 'T', symbol: 'BTCUSDT', direction: 'long', stopLoss: 64300, reason: 'trailing' });
    expect([...fake.messages.values()].map((m) => m.content)).toEqual(['🛡 BTCUSDT LONG: stop moved to 64,300.00 (trailing)']);
    expect(fake.registeredCommands).toBeNull();
  });

  it('retries a failed login with back-off and reports it', async () => {
    // 5xx are retried inside discord.js; a 401 fails the login and exercises our retry loop.
    fake.injectError('GET', /^\/gateway\/bot$/, 401, 2);
    chat = await startTransports(config(), control, log.logger, { minGapMs: 0, publishWaitMs: 30_000, backoff: { initialMs: 20, maxMs: 100 } });
    await fake.waitFor(() => fake.registeredCommands !== null, 'registration after retries');
    expect(fake.calls('GET', /^\/gateway\/bot$/).length).toBeGreaterThanOrEqual(3);
    expect(log.lines().filter((l) => l.msg === 'discord: connection failed').length).toBeGreaterThanOrEqual(1);
    expect(log.text()).not.toContain(fake.validToken);
    expect((await slash(ALICE, 'help')).reply!.content).toContain('/mode auto|approve');
  });
});
