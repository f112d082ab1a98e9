// Who may command the bot: the one place that decides. Allow lists hold numeric ids; an empty
// list means nobody. Telegram is additionally limited to the alert chat or a private chat, so a
// group the bot is added to does not hand control to all its members.
import type { Logger } from 'pino';

export type Platform = 'telegram' | 'discord';

export interface Actor {
  platform: Platform;
  userId: string;
  /** Discord role ids of the member; empty on Telegram. */
  roleIds: string[];
  /** Display name for messages and the audit trail ("@alice"). */
  name: string;
  /** Telegram chat the update came from. */
  chatId?: string;
}

export interface AllowLists {
  telegramUserIds: string[];
  /** The alert chat (TELEGRAM_CHAT_ID); commands are accepted there and in private chats. */
  telegramChatId?: string;
  discordUserIds: string[];
  discordRoleIds: string[];
}

export function isAllowed(lists: AllowLists, who: { platform: Platform; userId: string; roleIds?: string[]; chatId?: string }): boolean {
  if (who.platform === 'telegram') {
    if (!lists.telegramUserIds.includes(who.userId)) return false;
    if (who.chatId === undefined) return true;
    return who.chatId === who.userId || who.chatId === lists.telegramChatId;
  }
  if (lists.discordUserIds.includes(who.userId)) return true;
  return (who.roleIds ?? []).some((r) => lists.discordRoleIds.includes(r));
}

/** How a person appears in messages and in the `by` of control calls: "@alice (telegram)". */
export function actorLabel(a: Actor): string {
  return `${a.name} (${a.platform})`;
}

export const REFUSAL = '⛔ Not authorised. This bot only takes orders from its owners.';

export function logRefusal(logger: Logger, a: Actor, attempted: string): void {
  logger.warn({ platform: a.platform, userId: a.userId, chatId: a.chatId, roles: a.roleIds, attempted: attempted.slice(0, 80) }, 'chat: refused a user who is not allow-listed');
}
