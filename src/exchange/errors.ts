// Typed exchange failures. `outcome` tells the caller what the exchange may have done, which is
// what decides between "safe to retry", "look it up first" and "give up".
export type ErrorOutcome =
  /** The exchange refused the request; nothing happened. */
  | 'rejected'
  /** The request may or may not have taken effect (timeout, 5xx, 10000/10016, lost connection). */
  | 'unknown'
  /** The client id is already taken (110072 / 10014): the order exists. */
  | 'duplicate'
  /** Rate-limited (10006 / 10018 / HTTP 429) and retries ran out. Nothing happened. */
  | 'rate_limited';

export class ExchangeError extends Error {
  constructor(
    readonly retCode: number,
    readonly retMsg: string,
    readonly endpoint: string,
    readonly outcome: ErrorOutcome,
  ) {
    super(`${endpoint}: ${retMsg} (retCode ${retCode})`);
    this.name = 'ExchangeError';
  }
}

/** Pseudo retCodes for failures that never got a Bybit answer. */
export const NETWORK_ERROR = -1;
export const HTTP_ERROR_BASE = -1000; // -1000 - status, e.g. -1502 for HTTP 502

export function isUnknownOutcome(e: unknown): boolean {
  return e instanceof ExchangeError && e.outcome === 'unknown';
}
