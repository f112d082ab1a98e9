// Client order ids: a short deterministic prefix (who and why) plus 112 random bits, ≤ 36 chars
// and only [A-Za-z0-9-], which is what Bybit (and Binance) accept.
import { randomUUID } from 'node:crypto';

export type OrderPurpose = 'entry' | 'exit' | 'stop';

const PURPOSE_CHAR: Record<OrderPurpose, string> = { entry: 'e', exit: 'x', stop: 's' };

export function newOrderLinkId(prefix: string, purpose: OrderPurpose, uuid: string = randomUUID()): string {
  if (!/^[A-Za-z0-9]{1,6}$/.test(prefix)) throw new Error(`orderLinkId prefix "${prefix}" must be 1-6 letters or digits`);
  const hex = uuid.replace(/-/g, '').slice(0, 28);
  if (!/^[0-9a-f]{28}$/i.test(hex)) throw new Error('orderLinkId needs a UUID as its random part');
  return `${prefix}${PURPOSE_CHAR[purpose]}-${hex}`;
}
