// Issue 6, "how it will be tried", Discord (with Telegram beside it): the app as `smc replay` runs
// it (real BTCUSDT candles, EXECUTION_MODE=approve, PGlite store) with discord.js pointed at a local
// REST API and gateway, and grammY at a local Bot API server.
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord, type RecordedRequest as DcRequest } from '../fakes/discord/server.js';
import { startFakeTelegram, type FakeTelegram, type RecordedRequest as TgRequest } from '../fakes/telegram/server.js';
import { sql, startReplayApp, tempDataDir, until, type ReplayApp } from './replay-app.js';

const CHANNEL = '888000000000000001';
const TRADER_ROLE = '444000000000000001';
const CAROL = { id: '100000000000000022', username: 'carol', roles: [TRADER_ROLE] };
const MALLORY = { id: '100000000000000066', username: 'mallory', roles: ['444000000000000999'] };
const TG_CHAT = -1001;
const TG_ALICE = { id: 11, username: 'alice' };
const EPHEMERAL = 64;
const REFUSAL = '⛔ Not authorised. This bot only takes orders from its owners.';

let dc: FakeDiscord | undefined;
let tg: FakeTelegram | undefined;
let ra: ReplayApp | undefined;
let data: ReturnType<typeof tempDataDir> | undefined;

afterEach(async () => {
  await ra?.stop();
  await dc?.close();
  await tg?.close();
  data?.remove();
  ra = dc = tg = data = undefined;
});

const firstButton = (body: any): string => String(body?.components?.[0]?.components?.[0]?.custom_id ?? '');
const isDcAlert = (r: DcRequest) => r.method === 'POST' && r.path === `/channels/${CHANNEL}/messages` && firstButton(r.body).startsWith('ap:');
const isTgAlert = (r: TgRequest) => r.method === 'sendMessage' && String(r.body.reply_markup?.inline_keyboard?.[0]?.[0]?.callback_data ?? '').startsWith('ap:');
const isDcOpened = (r: DcRequest) => r.method === 'POST' && r.path === `/channels/${CHANNEL}/messages` && /opened BTCUSDT/.test(String(r.body?.content));

async function slash(user: typeof CAROL, name: string, options: Record<string, string> = {}) {
  return dc!.settled(dc!.pushSlashCommand(user, name, options));
}

describe('smc replay with Discord and Telegram (approve mode)', () => {
  it('alerts on both; strangers refused; Approve on Discord opens one trade and a Telegram tap changes nothing; /close all confirms; /pause, /resume; expiry edits both alerts', async () => {
    dc = await startFakeDiscord();
    tg = await startFakeTelegram();
    data = tempDataDir();
    const holds: (() => void)[] = [];
    const held = new Set<string>();
    ra = await startReplayApp(
      {
        DISCORD_BOT_TOKEN: dc.validToken, DISCORD_CHANNEL_ID: CHANNEL, DISCORD_ALLOWED_ROLE_IDS: TRADER_ROLE, DISCORD_API_ROOT: dc.apiRoot,
        TELEGRAM_BOT_TOKEN: tg.validToken, TELEGRAM_CHAT_ID: String(TG_CHAT), TELEGRAM_ALLOWED_USER_IDS: String(TG_ALICE.id), TELEGRAM_API_ROOT: tg.apiRoot,
        DATA_DIR: data.dir, APPROVAL_TIMEOUT_SECONDS: '20',
      },
      (hold) => {
        // Hold once per event, whichever platform receives it first.
        const once = (key: string) => {
          if (held.has(key)) return;
          held.add(key);
          holds.push(hold());
        };
        dc!.onRequest = (r) => {
          if (isDcAlert(r)) once(firstButton(r.body));
          if (isDcOpened(r)) once('opened');
        };
        tg!.onRequest = (r) => {
          if (isTgAlert(r)) once(String(r.body.reply_markup.inline_keyboard[0][0].callback_data));
        };
      },
    );
    const { app } = ra;
    expect(dc.registeredCommands!.map((c) => c.name)).toEqual(['status', 'positions', 'close', 'pause', 'resume', 'mode', 'stats', 'help']);

    // The alert reaches both platforms with Approve/Reject.
    await dc.waitFor(() => dc!.requests.some(isDcAlert), 'the Discord alert', 120_000);
    await tg.waitFor(isTgAlert, 30_000);
    const dcAlert = [...dc.messages.values()].find((m) => firstButton(m).startsWith('ap:'))!;
    const approveId = firstButton(dcAlert);
    const approvalId = approveId.slice(3);
    expect(dcAlert.components[0].components.map((b: any) => b.label)).toEqual(['✅ Approve', '❌ Reject']);
    expect(dcAlert.content).toMatch(/LONG BTCUSDT · confidence \d+\/100/);
    const tgAlert = [...tg.messages.values()].find((m) => m.reply_markup?.inline_keyboard?.[0]?.[0]?.callback_data === approveId)!;
    expect(tgAlert).toBeDefined();

    // A stranger's slash command and tap are refused privately and change nothing.
    const refusedCmd = await slash(MALLORY, 'pause');
    const refusedTap = await dc.settled(dc.pushButton(MALLORY, dcAlert.id, approveId));
    for (const r of [refusedCmd, refusedTap]) {
      expect(r.reply!.content).toBe(REFUSAL);
      expect(r.reply!.flags).toBe(EPHEMERAL);
    }
    expect(app.runtime.session.paused).toBe(false);
    expect(app.runtime.approval(approvalId)?.record.status).toBe('pending');

    // Carol (allowed by role) approves on Discord.
    const tap = dc.pushButton(CAROL, dcAlert.id, approveId);
    await until(() => app.runtime.approval(approvalId)?.record.status === 'approved', 'the approval to be decided');
    holds.shift()!();
    await dc.settled(tap, { followUp: true });
    expect(tap.followUps[0].content).toMatch(/^Executed at [\d,.]+$/);
    expect(dc.messages.get(dcAlert.id)!.components).toEqual([]);
    expect(dc.messages.get(dcAlert.id)!.content).toContain('✅ Approved by @carol (discord) · executed at');
    // The Telegram copy of the alert shows the same outcome, without buttons.
    await until(() => tg!.messages.get(tgAlert.message_id)!.text.includes('✅ Approved by @carol (discord) · executed at'), 'the Telegram alert to be edited');
    expect(tg.messages.get(tgAlert.message_id)!.reply_markup?.inline_keyboard ?? []).toEqual([]);

    // The fill; a tap on the other platform changes nothing.
    await dc.waitFor(() => dc!.requests.some(isDcOpened), 'the fill', 60_000);
    const cbq = tg.pushCallback(TG_ALICE, tgAlert.message_id, approveId);
    await tg.waitFor((r) => r.method === 'answerCallbackQuery' && r.body.callback_query_id === cbq, 30_000);
    expect(tg.answers.get(cbq)!.text).toBe('Already decided (executed) — nothing changed');
    expect(app.runtime.session.openTradeCount).toBe(1);
    expect(await app.store!.openTrades('replay')).toHaveLength(1);

    // /status reflects /pause and /resume.
    expect((await slash(CAROL, 'pause')).reply!.content).toContain('Paused: no new entries');
    expect((await slash(CAROL, 'status')).reply!.content).toContain('⏸ PAUSED — no new entries');
    expect((await slash(CAROL, 'resume')).reply!.content).toContain('Resumed');
    expect((await slash(CAROL, 'status')).reply!.content).toContain('▶️ Running');

    // /close all: nothing is closed until its confirmation; a stranger cannot confirm.
    const ask = await slash(CAROL, 'close', { target: 'all' });
    expect(ask.reply!.content).toContain('Close ALL 1 positions at market?');
    const confirmId = ask.reply!.components[0].components[0].custom_id as string;
    expect((await dc.settled(dc.pushButton(MALLORY, ask.replyMessageId!, confirmId))).reply!.content).toBe(REFUSAL);
    expect(app.runtime.session.openTradeCount).toBe(1);
    const confirm = dc.pushButton(CAROL, ask.replyMessageId!, confirmId);
    await until(() => ra!.log.lines().some((l) => l.msg === 'manual close requested'), 'the close to be requested');
    holds.shift()!();
    await dc.settled(confirm, { followUp: true });
    expect(confirm.followUps[0].content).toBe('Closed 1 of 1');
    await dc.waitFor(() => [...dc!.messages.values()].some((m) => /Closed LONG BTCUSDT/.test(m.content) && m.content.includes('closed by hand')), 'the exit message', 60_000);
    const trades = await sql(app, `SELECT exit_reason FROM trades WHERE source = 'replay'`);
    expect(trades).toEqual([{ exit_reason: 'manual' }]);

    // The next alert is left alone: when it expires, both copies show it and lose their buttons.
    await dc.waitFor(() => dc!.requests.filter(isDcAlert).length === 2, 'the second alert', 120_000);
    const second = [...dc.messages.values()].filter((m) => m.id !== dcAlert.id && firstButton(m).startsWith('ap:')).at(-1)!;
    const secondId = firstButton(second);
    await tg.waitFor((r) => isTgAlert(r) && r.body.reply_markup.inline_keyboard[0][0].callback_data === secondId, 30_000);
    const tgSecond = [...tg.messages.values()].find((m) => m.reply_markup?.inline_keyboard?.[0]?.[0]?.callback_data === secondId)!;
    await dc.waitFor(() => dc!.messages.get(second.id)!.content.includes('⌛ Expired — not traded'), 'the expiry edit', 60_000);
    expect(dc.messages.get(second.id)!.components).toEqual([]);
    await until(() => tg!.messages.get(tgSecond.message_id)!.text.includes('⌛ Expired — not traded'), 'the Telegram expiry edit');
    expect(tg.messages.get(tgSecond.message_id)!.reply_markup?.inline_keyboard ?? []).toEqual([]);
    // A tap after expiry changes nothing.
    const late = await dc.settled(dc.pushButton(CAROL, second.id, secondId), { followUp: true });
    expect(late.followUps[0].content).toMatch(/Already decided \(expired\)/);
    expect(await sql(app, `SELECT id FROM trades WHERE source = 'replay'`)).toHaveLength(1);
    expect((await app.store!.getApproval(secondId.slice(3)))?.status).toBe('expired');
  }, 300_000);
});
