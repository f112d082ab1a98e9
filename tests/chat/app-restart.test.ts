// Alert message ids live in the approval's `messages` column: after a restart a decision, or an
// expiry that happened while the bot was down, still edits the original alert on both platforms.
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/server.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram/server.js';
import { openStore } from '../../src/storage/open.js';
import { startReplayApp, tempDataDir, until, type ReplayApp } from './replay-app.js';

const CHANNEL = '888000000000000001';
const TRADER_ROLE = '444000000000000001';
const TG_CHAT = -1001;
const TG_ALICE = { id: 11, username: 'alice' };

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

const approveIdOf = (body: any): string => String(body?.reply_markup?.inline_keyboard?.[0]?.[0]?.callback_data ?? '');

describe('alerts across a restart', () => {
  it('an alert that expired while the bot was down, and one decided after the restart, both edit the original messages', async () => {
    dc = await startFakeDiscord();
    tg = await startFakeTelegram();
    data = tempDataDir();
    const vars = {
      DISCORD_BOT_TOKEN: dc.validToken, DISCORD_CHANNEL_ID: CHANNEL, DISCORD_ALLOWED_ROLE_IDS: TRADER_ROLE, DISCORD_API_ROOT: dc.apiRoot,
      TELEGRAM_BOT_TOKEN: tg.validToken, TELEGRAM_CHAT_ID: String(TG_CHAT), TELEGRAM_ALLOWED_USER_IDS: String(TG_ALICE.id), TELEGRAM_API_ROOT: tg.apiRoot,
      DATA_DIR: data.dir, APPROVAL_TIMEOUT_SECONDS: '600',
    };
    /** Starts the app; holds the replay at the first alert it sends and returns that alert's approval id. */
    const runUntilAlert = async (): Promise<string> => {
      let first: string | null = null;
      ra = await startReplayApp(vars, (hold) => {
        tg!.onRequest = (r) => {
          if (r.method === 'sendMessage' && approveIdOf(r.body).startsWith('ap:') && !first) {
            first = approveIdOf(r.body).slice(3);
            hold();
          }
        };
      });
      await until(() => first !== null, 'an alert', 120_000);
      const id = first!;
      // Both platforms' message ids are in the store before anything else happens.
      await until(async () => ((await ra!.app.store!.getApproval(id))?.messages ?? []).length === 2, 'the message ids to be stored');
      return id;
    };
    // Looked up while the alert still has its buttons.
    const tgMessage = (approvalId: string) => [...tg!.messages.values()].find((m) => approveIdOf(m) === `ap:${approvalId}`)!;
    const dcMessage = (approvalId: string) => [...dc!.messages.values()].find((m) => m.components?.[0]?.components?.[0]?.custom_id === `ap:${approvalId}`)!;

    // Run 1: alert A is sent and stays pending; the bot goes down.
    const a = await runUntilAlert();
    const stored = await ra!.app.store!.getApproval(a);
    const tgA = tgMessage(a);
    const dcA = dcMessage(a);
    expect(stored!.messages).toEqual(expect.arrayContaining([
      { platform: 'telegram', chatId: String(TG_CHAT), messageId: String(tgA.message_id) },
      { platform: 'discord', chatId: CHANNEL, messageId: dcA.id },
    ]));
    await ra!.stop();
    ra = undefined;
    // The bot stays down longer than the approval window.
    const store = await openStore({ DATA_DIR: data.dir });
    const rec = (await store.getApproval(a))!;
    expect(rec.status).toBe('pending');
    await store.upsertApproval({ ...rec, expires_at: new Date(Date.now() - 60_000) });
    await store.close();

    // Run 2: A is closed out on both original messages; the replay sends alert B (held).
    const b = await runUntilAlert();
    expect(b).not.toBe(a);
    await until(() => tg!.messages.get(tgA.message_id)!.text.includes('⌛ Expired — not traded'), 'the Telegram alert A to show the expiry');
    await dc.waitFor(() => dc!.messages.get(dcA.id)!.content.includes('⌛ Expired — not traded'), 'the Discord alert A to show the expiry');
    expect(tg.messages.get(tgA.message_id)!.text).toMatch(/LONG BTCUSDT · confidence \d+\/100/); // the alert itself is kept
    expect(tg.messages.get(tgA.message_id)!.reply_markup?.inline_keyboard ?? []).toEqual([]);
    expect(dc.messages.get(dcA.id)!.components).toEqual([]);
    expect((await ra!.app.store!.getApproval(a))!.status).toBe('expired');
    const tgB = tgMessage(b);
    const dcB = dcMessage(b);
    await ra!.stop();
    ra = undefined;

    // Run 3: Alice approves B on its original Telegram message; both original messages show it.
    await runUntilAlert(); // the replay's own new alert holds the candles, so B executes at a known point
    const app = ra!.app;
    expect(app.runtime.approval(b)?.record.status).toBe('pending');
    const cbq = tg.pushCallback(TG_ALICE, tgB.message_id, `ap:${b}`);
    await until(() => app.runtime.approval(b)?.record.status === 'approved', 'B to be decided');
    ra!.releaseAll();
    await tg.waitFor((r) => r.method === 'answerCallbackQuery' && r.body.callback_query_id === cbq, 30_000);
    expect(tg.answers.get(cbq)!.text).toMatch(/^Executed at [\d,.]+$/);
    await until(() => tg!.messages.get(tgB.message_id)!.text.includes('✅ Approved by @alice (telegram) · executed at'), 'the Telegram alert B to show the outcome');
    expect(tg.messages.get(tgB.message_id)!.text).toMatch(/LONG BTCUSDT · confidence \d+\/100/);
    expect(tg.messages.get(tgB.message_id)!.reply_markup?.inline_keyboard ?? []).toEqual([]);
    await dc.waitFor(() => dc!.messages.get(dcB.id)!.content.includes('✅ Approved by @alice (telegram) · executed at'), 'the Discord alert B to show the outcome');
    expect(dc.messages.get(dcB.id)!.content).toMatch(/LONG BTCUSDT · confidence \d+\/100/);
    expect(dc.messages.get(dcB.id)!.components).toEqual([]);
    // No loose "Signal …" notes were posted instead of the edits.
    expect(tg.calls('sendMessage').some((r) => String(r.body.text).startsWith('Signal '))).toBe(false);
    expect(dc.calls('POST', new RegExp(`^/channels/${CHANNEL}/messages$`)).some((r) => String(r.body?.content).startsWith('Signal '))).toBe(false);
  }, 300_000);
});
