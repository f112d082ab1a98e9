// Discord transport (discord.js over the gateway). Slash commands and button interactions go to
// the shared handlers; alerts are posted to DISCORD_CHANNEL_ID over REST. discord.js waits out
// 429s itself; every error is caught and logged so nothing escapes into the trading process.
import { Client, DiscordAPIError, Events, REST, GatewayIntentBits, MessageFlags, Routes, type ButtonInteraction, type ChatInputCommandInteraction, type Interaction } from 'discord.js';
import type { Logger } from 'pino';
import type { Actor } from '../handlers/auth.js';
import type { ChatHandlers } from '../handlers/chat.js';
import { errText } from '../handlers/chat.js';
import { COMMANDS } from '../handlers/commands.js';
import type { Reply } from '../handlers/reply.js';
import type { AlertRefBook } from './alert-refs.js';
import { Backoff, DEFAULT_BACKOFF, sleep, within, type BackoffOptions } from './backoff.js';
import type { Transport } from './notifier.js';
import { toDiscord } from './render-discord.js';
import { SendQueue } from './send-queue.js';
import type { TransportHooks } from './telegram.js';

export interface DiscordConfig {
  token: string;
  channelId: string;
  /** REST base, e.g. http://127.0.0.1:3000/api (discord.js appends /v10). */
  apiRoot?: string;
  minGapMs?: number;
  backoff?: BackoffOptions;
  /** Give up on a login that never becomes ready after this long (then retry). */
  readyTimeoutMs?: number;
}

interface AlertRef {
  channelId: string;
  messageId: string;
  lastContent: string;
}

const STRING = 3; // ApplicationCommandOptionType.String
const GUILD_ONLY = [0]; // InteractionContextType.Guild

/** Slash command definitions (PUT /applications/:id/commands), from the shared command list. */
export function slashCommands() {
  return COMMANDS.map((c) => {
    const base = { name: c.name, description: c.description.slice(0, 100), contexts: GUILD_ONLY };
    switch (c.name) {
      case 'close':
        return { ...base, options: [{ type: STRING, name: 'target', description: 'Symbol like BTCUSDT, or "all"', required: true }] };
      case 'mode':
        return { ...base, options: [{ type: STRING, name: 'mode', description: 'auto or approve', required: true, choices: ['auto', 'approve'].map((v) => ({ name: v, value: v })) }] };
      case 'stats':
        return { ...base, options: [{ type: STRING, name: 'period', description: 'day, week or month', required: false, choices: ['day', 'week', 'month'].map((v) => ({ name: v, value: v })) }] };
      default:
        return base;
    }
  });
}

/** The slash command as the text command the shared parser understands. */
export function commandText(i: ChatInputCommandInteraction): string {
  const arg = i.options.getString('target') ?? i.options.getString('mode') ?? i.options.getString('period');
  return arg ? `/${i.commandName} ${arg}` : `/${i.commandName}`;
}

export class DiscordTransport implements Transport {
  readonly name = 'discord';
  private client: Client | null = null;
  /** Posting and editing alerts needs only REST, so it works while the gateway is reconnecting. */
  private readonly rest: REST;
  private readonly queue: SendQueue;
  private readonly alerts = new Map<string, AlertRef>();
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  private ready = false;

  constructor(
    private readonly cfg: DiscordConfig,
    private readonly core: ChatHandlers,
    private readonly logger: Logger,
    private readonly hooks: TransportHooks,
    private readonly refs: AlertRefBook | null = null,
  ) {
    this.rest = new REST(cfg.apiRoot ? { api: cfg.apiRoot.replace(/\/+$/, '') } : {}).setToken(cfg.token);
    this.rest.on('rateLimited', (info) => this.logger.warn({ route: info.route, retryAfterMs: info.retryAfter, global: info.global }, 'discord: rate limited, waiting'));
    this.queue = new SendQueue(cfg.minGapMs ?? 250, (err, label) => this.logger.error({ err: describe(err), what: label }, 'discord: send failed'));
  }

  get isConnected(): boolean {
    return this.ready;
  }

  start(): Promise<void> {
    return new Promise((first) => {
      this.loop = this.run(first);
    });
  }

  private makeClient(): Client {
    const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: this.cfg.apiRoot ? { api: this.cfg.apiRoot.replace(/\/+$/, '') } : {} });
    client.rest.setToken(this.cfg.token);
    client.on(Events.InteractionCreate, (i) => {
      this.onInteraction(i).catch((err) => this.logger.error({ err: describe(err), interaction: i.id }, 'discord: interaction failed'));
    });
    client.on(Events.Error, (err) => this.logger.error({ err: describe(err) }, 'discord: client error'));
    client.on(Events.ShardError, (err) => this.logger.error({ err: describe(err) }, 'discord: gateway error'));
    client.on(Events.Warn, (m) => this.logger.warn({ warning: m }, 'discord: warning'));
    client.on(Events.ShardDisconnect, () => (this.ready = false));
    client.on(Events.ShardResume, () => (this.ready = true));
    client.rest.on('rateLimited', (info) => this.logger.warn({ route: info.route, retryAfterMs: info.retryAfter, global: info.global }, 'discord: rate limited, waiting'));
    return client;
  }

  private async run(first: () => void): Promise<void> {
    const backoff = new Backoff(this.cfg.backoff ?? DEFAULT_BACKOFF);
    while (!this.abort.signal.aborted) {
      const client = this.makeClient();
      this.client = client;
      try {
        const c = await this.loginReady(client);
        await this.rest.put(Routes.applicationCommands(c.application.id), { body: slashCommands() }).catch((err) => this.logger.warn({ err: describe(err) }, 'discord: registering slash commands failed'));
        this.ready = true;
        if (backoff.failures >= 1) this.hooks.report(this.name, `Discord connected again after ${backoff.failures} failed attempt(s)`);
        backoff.reset();
        this.logger.info({ user: c.user.tag, application: c.application.id }, 'discord: connected');
        first();
        return; // discord.js reconnects the gateway by itself from here on
      } catch (err) {
        this.ready = false;
        // destroy() can hang on a shard that is still identifying; do not let it stall the retries.
        await within(client.destroy(), 2_000);
        if (this.abort.signal.aborted) break;
        const delay = backoff.take();
        this.logger.error({ err: describe(err), retryInMs: delay }, 'discord: connection failed');
        if (backoff.worthReporting()) this.hooks.report(this.name, `Discord connection failed (${describe(err)}); retrying in ${Math.round(delay / 1000)}s`);
        first();
        await sleep(delay, this.abort.signal);
      }
    }
    first();
  }

  /** Logs in and waits for READY; gives up after `readyTimeoutMs` or when stopped. */
  private loginReady(client: Client): Promise<Client<true>> {
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', onAbort);
        reject(err);
      };
      const onAbort = () => fail(new Error('stopped'));
      const timer = setTimeout(() => fail(new Error('gateway did not become ready')), this.cfg.readyTimeoutMs ?? 30_000);
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
      client.once(Events.ClientReady, (c) => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', onAbort);
        resolve(c);
      });
      client.login(this.cfg.token).catch(fail);
    });
  }

  async send(r: Reply, approvalId?: string): Promise<void> {
    // Remembering the message inside the queued task keeps later updates (also queued) in order.
    await this.queue.push(approvalId ? `alert ${approvalId}` : 'message', () => this.post(r, approvalId));
  }

  async updateAlert(approvalId: string, r: Reply | undefined, fallback: Reply | undefined): Promise<void> {
    await this.queue.push(`update ${approvalId}`, async () => {
      const ref = this.alerts.get(approvalId) ?? (await this.storedRef(approvalId));
      if (!ref || !r) return fallback ? this.post(fallback) : undefined;
      const body = toDiscord(r);
      if (body.content === ref.lastContent && body.components.length === 0) return;
      await this.rest.patch(Routes.channelMessage(ref.channelId, ref.messageId), { body });
      ref.lastContent = body.content;
    });
  }

  /** The alert's message as stored before a restart. */
  private async storedRef(approvalId: string): Promise<AlertRef | undefined> {
    const s = await this.refs?.find(approvalId, 'discord');
    if (!s) return undefined;
    const ref: AlertRef = { channelId: s.chatId, messageId: s.messageId, lastContent: '' };
    this.alerts.set(approvalId, ref);
    return ref;
  }

  private async post(r: Reply, approvalId?: string): Promise<void> {
    const body = toDiscord(r);
    const sent = (await this.rest.post(Routes.channelMessages(this.cfg.channelId), { body })) as { id: string };
    if (!approvalId) return;
    this.alerts.set(approvalId, { channelId: this.cfg.channelId, messageId: sent.id, lastContent: body.content });
    this.refs?.remember(approvalId, { platform: 'discord', chatId: this.cfg.channelId, messageId: sent.id });
    // Old alerts cannot be decided any more; keep the map bounded (insertion order = age).
    if (this.alerts.size > 1000) this.alerts.delete(this.alerts.keys().next().value!);
  }

  private actor(i: Interaction): Actor {
    const m = i.member;
    const roles = !m ? [] : Array.isArray(m.roles) ? m.roles : [...m.roles.cache.keys()];
    return { platform: 'discord', userId: i.user.id, roleIds: roles, name: `@${i.user.username}` };
  }

  private async onInteraction(i: Interaction): Promise<void> {
    if (i.isChatInputCommand()) return this.onCommand(i);
    if (i.isButton()) return this.onButton(i);
  }

  private async onCommand(i: ChatInputCommandInteraction): Promise<void> {
    const actor = this.actor(i);
    const text = commandText(i);
    if (!this.core.allowed(actor)) {
      // Refused at once, visible only to the person who tried; the handler logs the attempt.
      const r = await this.core.onCommand(actor, text);
      if (r) await i.reply({ ...toDiscord(r), flags: MessageFlags.Ephemeral });
      return;
    }
    // Control calls may take longer than Discord's 3 s answer window.
    await i.deferReply();
    try {
      const r = await this.core.onCommand(actor, text);
      await i.editReply(toDiscord(r ?? { blocks: [{ kind: 'text', text: 'Nothing to do.' }], buttons: [] }));
    } catch (err) {
      await i.editReply({ content: `⚠️ ${text} failed: ${describe(err)}`, components: [] }).catch(() => undefined);
      throw err;
    }
  }

  private async onButton(i: ButtonInteraction): Promise<void> {
    const actor = this.actor(i);
    if (!this.core.allowed(actor)) {
      const res = await this.core.onButton(actor, i.customId);
      await i.reply({ content: res.toast, flags: MessageFlags.Ephemeral });
      return;
    }
    await i.deferUpdate();
    const res = await this.core.onButton(actor, i.customId);
    if (res.dropButtons) await i.editReply({ components: [] });
    if (res.edit) {
      const body = toDiscord(res.edit);
      await i.editReply(body);
      const ref = res.approvalId ? this.alerts.get(res.approvalId) : undefined;
      if (ref && ref.messageId === i.message.id) ref.lastContent = body.content;
    }
    await i.followUp({ content: res.toast, flags: MessageFlags.Ephemeral }).catch((err) => this.logger.warn({ err: describe(err) }, 'discord: follow-up failed'));
    if (res.approvalId && this.core.decisionOf(res.approvalId)) this.hooks.onDecided(res.approvalId, this);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.queue.drain(5_000);
    this.queue.close();
    await this.loop;
    if (this.client) await within(this.client.destroy(), 2_000);
    this.ready = false;
  }
}

function describe(err: unknown): string {
  if (err instanceof DiscordAPIError) return `${err.method.toUpperCase()} ${err.url.replace(/^https?:\/\/[^/]+/, '').replace(/\/interactions\/\d+\/[^/]+/, '/interactions/…').replace(/\/webhooks\/(\d+)\/[^/?]+/, '/webhooks/$1/…')}: ${err.status} ${err.message}`;
  return errText(err);
}
