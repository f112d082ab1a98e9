// Starts the configured chat transports (Telegram, Discord, both or neither) and returns the
// Notifier the runtime publishes to. With neither configured, alerts go to the console. A
// transport that cannot connect keeps retrying in the background; it never stops the others.
import type { Logger } from 'pino';
import type { Env } from '../src/config/env.js';
import { ChatHandlers } from '../handlers/chat.js';
import type { BotControl } from '../handlers/control.js';
import { AlertRefBook, type ApprovalStore } from './alert-refs.js';
import { sleep, type BackoffOptions } from './backoff.js';
import { DiscordTransport } from './discord.js';
import { ConsoleTransport, FanOutNotifier, type Notifier, type Transport } from './notifier.js';
import { TelegramTransport, type TransportHooks } from './telegram.js';

export type { Notifier } from './notifier.js';

export type ChatConfig = Pick<
  Env,
  | 'TELEGRAM_BOT_TOKEN'
  | 'TELEGRAM_CHAT_ID'
  | 'TELEGRAM_ALLOWED_USER_IDS'
  | 'TELEGRAM_API_ROOT'
  | 'DISCORD_BOT_TOKEN'
  | 'DISCORD_CHANNEL_ID'
  | 'DISCORD_ALLOWED_USER_IDS'
  | 'DISCORD_ALLOWED_ROLE_IDS'
  | 'DISCORD_API_ROOT'
>;

/** Knobs for tests and special deployments; production uses the defaults. */
export interface TransportOptions {
  now?: () => number;
  /** Spacing between outgoing messages per transport. */
  minGapMs?: number;
  backoff?: BackoffOptions;
  confirmTtlMs?: number;
  pollTimeoutSeconds?: number;
  /** Telegram: answer a tap with a holding note when a decision takes longer than this. */
  answerWithinMs?: number;
  consoleWrite?: (line: string) => void;
  /** Longest time publish() waits for the transports' sends (default 2 s; they carry on after). */
  publishWaitMs?: number;
  /** Longest wait for the transports' first connection attempts (default 15 s). */
  startWaitMs?: number;
  /** The store's approvals: alert message ids are kept there so edits survive a restart. */
  approvals?: ApprovalStore;
}

export interface StartedTransports extends Notifier {
  readonly transports: Transport[];
  readonly handlers: ChatHandlers;
  /** How many alerts that expired while the bot was down were closed out at start (resolves when done). */
  readonly closedOut: Promise<number>;
}

export async function startTransports(config: ChatConfig, control: BotControl, logger: Logger, opts: TransportOptions = {}): Promise<StartedTransports> {
  const refs = new AlertRefBook(opts.approvals ?? null, logger, opts.now);
  const handlers = new ChatHandlers({
    control,
    logger,
    approvals: opts.approvals ? refs : undefined,
    now: opts.now,
    confirmTtlMs: opts.confirmTtlMs,
    allow: {
      telegramUserIds: config.TELEGRAM_ALLOWED_USER_IDS ?? [],
      telegramChatId: config.TELEGRAM_CHAT_ID,
      discordUserIds: config.DISCORD_ALLOWED_USER_IDS ?? [],
      discordRoleIds: config.DISCORD_ALLOWED_ROLE_IDS ?? [],
    },
  });
  const transports: Transport[] = [];
  // Filled below; hooks only run once transports have started.
  let notifier: FanOutNotifier | null = null;
  const hooks: TransportHooks = {
    onDecided: (approvalId, from) => void notifier?.refreshAlert(approvalId, from),
    report: (name, message) => {
      // Tell the people on the other platforms (or the console) that one channel is down.
      for (const t of transports) if (t.name !== name) void t.send({ blocks: [{ kind: 'text', text: `⚠️ ${message}` }], buttons: [] });
    },
  };

  if (config.TELEGRAM_BOT_TOKEN && config.TELEGRAM_CHAT_ID) {
    transports.push(
      new TelegramTransport(
        { token: config.TELEGRAM_BOT_TOKEN, chatId: config.TELEGRAM_CHAT_ID, apiRoot: config.TELEGRAM_API_ROOT, minGapMs: opts.minGapMs, backoff: opts.backoff, pollTimeoutSeconds: opts.pollTimeoutSeconds, answerWithinMs: opts.answerWithinMs },
        handlers,
        logger.child({ transport: 'telegram' }),
        hooks,
        refs,
      ),
    );
  }
  if (config.DISCORD_BOT_TOKEN && config.DISCORD_CHANNEL_ID) {
    transports.push(
      new DiscordTransport(
        { token: config.DISCORD_BOT_TOKEN, channelId: config.DISCORD_CHANNEL_ID, apiRoot: config.DISCORD_API_ROOT, minGapMs: opts.minGapMs, backoff: opts.backoff },
        handlers,
        logger.child({ transport: 'discord' }),
        hooks,
        refs,
      ),
    );
  }
  // Deny-by-default is right, but an empty list in approve mode means nothing is ever traded: say so.
  if (config.TELEGRAM_BOT_TOKEN && !(config.TELEGRAM_ALLOWED_USER_IDS ?? []).length) {
    logger.warn('chat: TELEGRAM_ALLOWED_USER_IDS is empty, so nobody can command the bot or approve trades on Telegram');
  }
  if (config.DISCORD_BOT_TOKEN && !(config.DISCORD_ALLOWED_USER_IDS ?? []).length && !(config.DISCORD_ALLOWED_ROLE_IDS ?? []).length) {
    logger.warn('chat: DISCORD_ALLOWED_USER_IDS and DISCORD_ALLOWED_ROLE_IDS are empty, so nobody can command the bot or approve trades on Discord');
  }
  if (!transports.length) {
    logger.warn('chat: no Telegram or Discord configured; alerts go to the console');
    transports.push(new ConsoleTransport(opts.consoleWrite));
  }
  notifier = new FanOutNotifier(transports, handlers, logger, opts.publishWaitMs);
  // Wait for the first connection attempts, but never hold up trading on a chat that hangs.
  const giveUp = new AbortController();
  await Promise.race([Promise.all(transports.map((t) => t.start?.())), sleep(opts.startWaitMs ?? 15_000, giveUp.signal)]);
  giveUp.abort();
  const fan = notifier;
  // In the background: a slow store must not hold up trading.
  const closedOut = fan.closeOutExpired(refs).catch((err) => {
    logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'chat: closing out expired alerts failed');
    return 0;
  });
  return {
    transports,
    handlers,
    closedOut,
    publish: (e) => fan.publish(e),
    stop: () => fan.stop(),
  };
}
