// Interactive fake Telegram for trying the bot by hand (e.g. with `smc replay`), no internet needed:
//   npx tsx tests/fakes/telegram/cli.ts [port]
// then start the bot with the printed variables and type lines such as
//   11 /status          a message from user 11 in the alert chat
//   66 /pause           from user 66 (not allow-listed → refused)
//   tap 11 approve      user 11 taps Approve on the latest alert (also: reject, or a message id and button data)
import { createInterface } from 'node:readline';
import { FakeTelegram } from './server.js';

const CHAT = -1001;
const port = Number(process.argv[2] ?? 8081);
const fake = await new FakeTelegram().listen(port);
console.log(`fake Telegram Bot API on ${fake.apiRoot}. Start the bot with:
  TELEGRAM_API_ROOT=${fake.apiRoot} TELEGRAM_BOT_TOKEN=${fake.validToken} TELEGRAM_CHAT_ID=${CHAT} TELEGRAM_ALLOWED_USER_IDS=11
Type "<userId> /command", "tap <userId> approve|reject" or "tap <userId> <messageId> <data>".`);

fake.onRequest = (r) => {
  if (r.method === 'getUpdates' || r.method === 'getMe' || r.method === 'deleteWebhook') return;
  if (r.method === 'sendMessage' || r.method === 'editMessageText') {
    const buttons = (r.body.reply_markup?.inline_keyboard ?? []).flat().map((b: any) => `[${b.text} → ${b.callback_data}]`).join(' ');
    setImmediate(() => console.log(`\n${r.method === 'sendMessage' ? `#${[...fake.messages.keys()].at(-1)}` : `#${r.body.message_id} edited`} ${r.body.text.replace(/<\/?(b|pre)>/g, '')}${buttons ? `\n${buttons}` : ''}`));
    return;
  }
  console.log(`> ${r.method} ${JSON.stringify(r.body)}`);
};

const lastAlert = () => [...fake.messages.values()].reverse().find((m) => (m.reply_markup?.inline_keyboard ?? []).flat().some((b: any) => /^ap:/.test(b.callback_data)));

for await (const line of createInterface({ input: process.stdin })) {
  const parts = line.trim().split(/\s+/);
  try {
    if (parts[0] === 'tap') {
      const user = { id: Number(parts[1]), username: `user${parts[1]}` };
      if (parts[2] === 'approve' || parts[2] === 'reject') {
        const m = lastAlert();
        if (!m) throw new Error('no alert with buttons yet');
        const data = m.reply_markup.inline_keyboard.flat().find((b: any) => b.callback_data.startsWith(parts[2] === 'approve' ? 'ap:' : 'rj:')).callback_data;
        fake.pushCallback(user, m.message_id, data);
      } else fake.pushCallback(user, Number(parts[2]), parts[3]);
    } else if (/^\d+$/.test(parts[0] ?? '')) {
      fake.pushMessage({ id: Number(parts[0]), username: `user${parts[0]}` }, CHAT, parts.slice(1).join(' '));
    } else if (parts[0]) console.log('?? use "<userId> /command" or "tap <userId> approve|reject|<messageId> <data>"');
  } catch (err) {
    console.log(`!! ${(err as Error).message}`);
  }
}
