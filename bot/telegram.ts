// Telegram transport (grammY, long polling). Commands and button taps go to the shared handlers;
// alerts go to TELEGRAM_CHAT_ID through a rate-limited queue. 429 answers are retried after
// `retry_after`; a failed connection is retried with back-off and reported, never thrown.
import { Bot, GrammyError, HttpError, type Context, type Transformer } from 'grammy';
import type { Logger } from 'pino';
import type { Actor } from '../handlers/auth.js';
import type { ChatHandlers } from '../handlers/chat.js';
import { errText } from '../handlers/chat.js';
import { COMMANDS } from '../handlers/commands.js';
import type { Reply } from '../handlers/reply.js';
import type { AlertRefBook } from './alert-refs.js';
import { Backoff, DEFAULT_BACKOFF, sleep, type BackoffOptions } from './backoff.js';
import type { Transport } from './notifier.js';
import { toTelegram } from './render-telegram.js';
import { SendQueue } from './send-queue.js';

export interface TelegramConfig {
  token: string;
  chatId: string;
  apiRoot?: string;
  /** Spacing between messages to the alert chat (default: see telegramGapMs). */
  minGapMs?: number;
  /** Give up on one call after this many 429 answers. */
  max429Retries?: number;
  backoff?: BackoffOptions;
  /** Long-poll timeout in seconds. */
  pollTimeoutSeconds?: number;
  /** Answer a button tap with a holding note when the decision takes longer than this. */
  answerWithinMs?: number;
}

export interface TransportHooks {
  /** A tap here decided an approval: the other transports should show it too. */
  onDecided(approvalId: string, from: Transport): void;
  /** Connection trouble (or recovery) worth a human's attention, for the other transports (already logged). */
  report(transport: string, message: string): void;
}

interface AlertRef {
  chatId: number | string;
  messageId: number;
  lastText: string;
}

export class TelegramTransport implements Transport {
  readonly name = 'telegram';
  readonly bot: Bot;
  private readonly queue: SendQueue;
  private readonly alerts = new Map<string, AlertRef>();
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  private connected = false;
  private startedOnce = false;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly cfg: TelegramConfig,
    private readonly core: ChatHandlers,
    private readonly logger: Logger,
    private readonly hooks: TransportHooks,
    private readonly refs: AlertRefBook | null = null,
  ) {
    // grammY's default per-call timeout is 500 s; a hung server must not stall sends that long.
    const timeoutSeconds = (cfg.pollTimeoutSeconds ?? 30) + 30;
    this.bot = new Bot(cfg.token, { client: { apiRoot: cfg.apiRoot?.replace(/\/+$/, ''), timeoutSeconds } });
    this.bot.api.config.use(retryOn429(cfg.max429Retries ?? 5, logger));
    this.queue = new SendQueue(cfg.minGapMs ?? telegramGapMs(cfg.chatId), (err, label) => this.logger.error({ err: describe(err), what: label }, 'telegram: send failed'));
    // grammY handles updates one after another; a slow approval (an entry order can take minutes)
    // must not hold up /pause or other taps, so each update runs on its own.
    this.bot.on('message:text', (ctx) => this.background(ctx, () => this.onText(ctx)));
    this.bot.on('callback_query:data', (ctx) => this.background(ctx, () => this.onTap(ctx)));
    // Without this grammY stops polling on the first handler error.
    this.bot.catch((e) => this.logger.error({ err: describe(e.error), updateId: e.ctx.update.update_id }, 'telegram: handler failed'));
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Resolves after the first connection attempt (either way); keeps retrying in the background. */
  start(): Promise<void> {
    return new Promise((first) => {
      this.loop = this.run(first);
    });
  }

  private async run(first: () => void): Promise<void> {
    const backoff = new Backoff(this.cfg.backoff ?? DEFAULT_BACKOFF);
    while (!this.abort.signal.aborted) {
      try {
        const me = await this.bot.api.getMe(this.abort.signal as Parameters<Bot['api']['getMe']>[0]);
        this.bot.botInfo = me;
        await this.bot.api
          .setMyCommands(COMMANDS.map((c) => ({ command: c.name, description: c.description })))
          .catch((err) => this.logger.warn({ err: describe(err) }, 'telegram: setMyCommands failed'));
        await this.bot.start({
          // Commands sent while the process was down are not executed on start; after a reconnect
          // within the same run they are (taps are re-checked by the runtime anyway).
          drop_pending_updates: !this.startedOnce,
          allowed_updates: ['message', 'callback_query'],
          timeout: this.cfg.pollTimeoutSeconds ?? 30,
          onStart: (info) => {
            this.connected = true;
            this.startedOnce = true;
            if (backoff.failures >= 1) this.hooks.report(this.name, `Telegram connected again after ${backoff.failures} failed attempt(s)`);
            backoff.reset();
            this.logger.info({ bot: info.username }, 'telegram: connected, polling');
            first();
          },
        });
        this.connected = false;
        if (this.abort.signal.aborted) break;
        throw new Error('polling stopped unexpectedly');
      } catch (err) {
        this.connected = false;
        if (this.abort.signal.aborted) break;
        const delay = backoff.take();
        const msg = `Telegram connection failed (${describe(err)}); retrying in ${Math.round(delay / 1000)}s`;
        this.logger.error({ err: describe(err), retryInMs: delay }, 'telegram: connection failed');
        if (backoff.worthReporting()) this.hooks.report(this.name, msg);
        first();
        await sleep(delay, this.abort.signal);
      }
    }
    first();
  }

  async send(r: Reply, approvalId?: string): Promise<void> {
    // Remembering the message inside the queued task keeps later updates (also queued) in order.
    await this.queue.push(approvalId ? `alert ${approvalId}` : 'message', () => this.post(r, approvalId));
  }

  async updateAlert(approvalId: string, r: Reply | undefined, fallback: Reply | undefined): Promise<void> {
    await this.queue.push(`update ${approvalId}`, async () => {
      const ref = this.alerts.get(approvalId) ?? (await this.storedRef(approvalId));
      if (ref && r) await this.edit(ref, r);
      else if (fallback) await this.post(fallback);
    });
  }

  /** The alert's message as stored before a restart. */
  private async storedRef(approvalId: string): Promise<AlertRef | undefined> {
    const s = await this.refs?.find(approvalId, 'telegram');
    if (!s || !Number.isInteger(Number(s.messageId))) return undefined;
    const ref: AlertRef = { chatId: s.chatId, messageId: Number(s.messageId), lastText: '' };
    this.alerts.set(approvalId, ref);
    return ref;
  }

  private async post(r: Reply, approvalId?: string): Promise<void> {
    const m = toTelegram(r);
    const sent = await this.bot.api.sendMessage(this.cfg.chatId, m.text, {
      parse_mode: m.parse_mode,
      reply_markup: m.reply_markup.inline_keyboard.length ? m.reply_markup : undefined,
      link_preview_options: { is_disabled: true },
    });
    if (!approvalId) return;
    this.alerts.set(approvalId, { chatId: sent.chat.id, messageId: sent.message_id, lastText: m.text });
    this.refs?.remember(approvalId, { platform: 'telegram', chatId: String(sent.chat.id), messageId: String(sent.message_id) });
    // Old alerts cannot be decided any more; keep the map bounded (insertion order = age).
    if (this.alerts.size > 1000) this.alerts.delete(this.alerts.keys().next().value!);
  }

  private async edit(ref: AlertRef, r: Reply): Promise<void> {
    const m = toTelegram(r);
    if (m.text === ref.lastText && m.reply_markup.inline_keyboard.length === 0) return;
    try {
      await this.bot.api.editMessageText(ref.chatId, ref.messageId, m.text, { parse_mode: m.parse_mode, reply_markup: m.reply_markup });
    } catch (err) {
      if (!(err instanceof GrammyError && /not modified/i.test(err.description))) throw err;
    }
    ref.lastText = m.text;
  }

  private actor(ctx: Context): Actor | null {
    const from = ctx.from;
    if (!from) return null;
    return {
      platform: 'telegram',
      userId: String(from.id),
      roleIds: [],
      name: from.username ? `@${from.username}` : from.first_name || String(from.id),
      chatId: ctx.chat ? String(ctx.chat.id) : undefined,
    };
  }

  private async onText(ctx: Context): Promise<void> {
    const actor = this.actor(ctx);
    const text = ctx.message?.text;
    if (!actor || !text) return;
    // In a group, "/status@OtherBot" is meant for another bot.
    const addressed = /^\/\w+@(\w+)/.exec(text)?.[1];
    if (addressed && addressed.toLowerCase() !== this.bot.botInfo.username.toLowerCase()) return;
    const r = await this.core.onCommand(actor, text);
    if (!r) return;
    const m = toTelegram(r);
    await ctx.reply(m.text, { parse_mode: m.parse_mode, reply_markup: m.reply_markup.inline_keyboard.length ? m.reply_markup : undefined });
  }

  private background(ctx: Context, work: () => Promise<void>): void {
    const p: Promise<void> = work()
      .catch((err) => this.logger.error({ err: describe(err), updateId: ctx.update.update_id }, 'telegram: handler failed'))
      .finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  private async onTap(ctx: Context): Promise<void> {
    const actor = this.actor(ctx);
    const data = ctx.callbackQuery?.data;
    if (!actor || data === undefined) return;
    const answer = (text: string) =>
      ctx.answerCallbackQuery({ text: text.slice(0, 200) }).catch((err) => this.logger.warn({ err: describe(err) }, 'telegram: answerCallbackQuery failed'));
    // Telegram wants the tap answered within seconds; a slow decision gets a holding answer and
    // the message edit carries the result.
    const work = this.core.onButton(actor, data);
    const timer = new AbortController();
    const quick = await Promise.race([work, sleep(this.cfg.answerWithinMs ?? 5_000, timer.signal).then(() => null)]);
    timer.abort();
    if (!quick) await answer('⏳ Working on it — this message will show the result.');
    const res = await work;
    if (quick) await answer(res.toast);
    const msg = ctx.callbackQuery?.message;
    if (res.dropButtons && msg) {
      await this.bot.api.editMessageReplyMarkup(msg.chat.id, msg.message_id, { reply_markup: { inline_keyboard: [] } }).catch((err) => this.logger.warn({ err: describe(err) }, 'telegram: removing buttons failed'));
    }
    if (res.edit && msg) {
      const ref = res.approvalId ? this.alerts.get(res.approvalId) : undefined;
      const target: AlertRef = ref && ref.messageId === msg.message_id ? ref : { chatId: msg.chat.id, messageId: msg.message_id, lastText: '' };
      await this.edit(target, res.edit);
    }
    if (res.approvalId && this.core.decisionOf(res.approvalId)) this.hooks.onDecided(res.approvalId, this);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    // Let running handlers finish their replies, but do not hang shutdown on a slow one.
    const giveUp = new AbortController();
    await Promise.race([Promise.all([...this.inflight]), sleep(5_000, giveUp.signal)]);
    giveUp.abort();
    await this.queue.drain(5_000);
    this.queue.close();
    if (this.bot.isRunning()) await this.bot.stop().catch((err) => this.logger.warn({ err: describe(err) }, 'telegram: stop failed'));
    await this.loop;
  }
}

/**
 * Telegram allows about one message a second to a chat, and at most 20 a minute to a group
 * (negative chat ids): spacing alerts to that avoids 429s instead of waiting them out.
 */
export function telegramGapMs(chatId: string): number {
  return chatId.trim().startsWith('-') ? 3_000 : 1_000;
}

/** grammY transformer: on 429 wait `retry_after` seconds and call again (getUpdates is left to grammY). */
export function retryOn429(maxRetries: number, logger: Logger): Transformer {
  return async (prev, method, payload, signal) => {
    for (let attempt = 0; ; attempt++) {
      const res = await prev(method, payload, signal);
      if (res.ok || res.error_code !== 429 || method === 'getUpdates' || attempt >= maxRetries) return res;
      const wait = Math.max(1, Number(res.parameters?.retry_after ?? 1));
      logger.warn({ method, retryAfterSeconds: wait, attempt: attempt + 1 }, 'telegram: rate limited (429), retrying');
      await sleep(wait * 1000, signal as AbortSignal | undefined);
      if (signal?.aborted) return res;
    }
  };
}

/** Error text without request payloads or the token (grammY puts the token in some URLs). */
function describe(err: unknown): string {
  if (err instanceof GrammyError) return `${err.method}: ${err.error_code} ${err.description}`;
  if (err instanceof HttpError) return `network error: ${errText(err.error)}`.replace(/bot\d+:[\w-]+/g, 'bot<token>');
  return errText(err).replace(/bot\d+:[\w-]+/g, 'bot<token>');
}
