// Interactive fake Discord (REST + gateway) for trying the bot by hand, no internet needed:
//   npx tsx tests/fakes/discord/cli.ts [port]
// then start the bot with the printed variables and type lines such as
//   100000000000000011 /status             a slash command from that user
//   100000000000000066:444 /pause          from a user holding role 444
//   tap 100000000000000011 approve         taps Approve on the latest alert (or: reject, or <messageId> <customId>)
import { createInterface } from 'node:readline';
import { FakeDiscord, type FakeDiscordUser } from './server.js';

const CHANNEL = '888000000000000001';
const port = Number(process.argv[2] ?? 8082);
const fake = await new FakeDiscord().listen(port);
console.log(`fake Discord on ${fake.apiRoot}. Start the bot with:
  DISCORD_API_ROOT=${fake.apiRoot} DISCORD_BOT_TOKEN=${fake.validToken} DISCORD_CHANNEL_ID=${CHANNEL} DISCORD_ALLOWED_USER_IDS=100000000000000011
Type "<userId>[:roleId] /command [arg]", "tap <userId> approve|reject" or "tap <userId> <messageId> <customId>".`);

// Labels are computed after the fake has stored the message (the hook runs before).
const show = (label: () => string, content: string, components: any[] = []) => {
  const buttons = components.flatMap((r: any) => r.components).map((b: any) => `[${b.label} → ${b.custom_id}]`).join(' ');
  setImmediate(() => console.log(`\n${label()} ${content}${buttons ? `\n${buttons}` : ''}`));
};
fake.onRequest = (r) => {
  if (r.method === 'POST' && /\/channels\/\d+\/messages$/.test(r.path)) show(() => `#${[...fake.messages.keys()].at(-1)}`, r.body.content, r.body.components);
  else if (r.method === 'PATCH') show(() => `(edit ${r.path.split('/').at(-1)})`, r.body.content ?? '', r.body.components);
  else if (/^\/interactions\//.test(r.path) && r.body?.data?.content) show(() => '(reply)', r.body.data.content);
  else if (r.method === 'POST' && /^\/webhooks\//.test(r.path)) show(() => '(only you can see this)', r.body.content);
};

function user(spec: string): FakeDiscordUser {
  const [id, role] = spec.split(':');
  return { id, username: `user${id.slice(-3)}`, roles: role ? [role] : [] };
}

const lastAlert = () => [...fake.messages.values()].reverse().find((m) => m.components.flatMap((r: any) => r.components).some((b: any) => /^ap:/.test(b.custom_id)));
const OPTION: Record<string, string> = { close: 'target', mode: 'mode', stats: 'period' };

for await (const line of createInterface({ input: process.stdin })) {
  const parts = line.trim().split(/\s+/);
  try {
    if (parts[0] === 'tap') {
      if (parts[2] === 'approve' || parts[2] === 'reject') {
        const m = lastAlert();
        if (!m) throw new Error('no alert with buttons yet');
        const id = m.components.flatMap((r: any) => r.components).find((b: any) => b.custom_id.startsWith(parts[2] === 'approve' ? 'ap:' : 'rj:')).custom_id;
        fake.pushButton(user(parts[1]), m.id, id);
      } else fake.pushButton(user(parts[1]), parts[2], parts[3]);
    } else if (/^\d+/.test(parts[0] ?? '') && parts[1]?.startsWith('/')) {
      const name = parts[1].slice(1);
      fake.pushSlashCommand(user(parts[0]), name, parts[2] && OPTION[name] ? { [OPTION[name]]: parts[2] } : {});
    } else if (parts[0]) console.log('?? use "<userId>[:roleId] /command [arg]" or "tap <userId> approve|reject"');
  } catch (err) {
    console.log(`!! ${(err as Error).message}`);
  }
}
