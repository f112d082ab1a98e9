// Every Bybit REST answer goes through here: retCode is checked, SDK errors become typed
// ExchangeErrors (scrubbed), rate limits are waited out, and only READS are retried. A write whose
// outcome is unknown is handed back as `unknown` so the caller resolves it by lookup.
import type { Logger } from 'pino';
import { ExchangeError, HTTP_ERROR_BASE, NETWORK_ERROR, type ErrorOutcome } from '../errors.js';
import { scrubError } from '../scrub.js';

export interface BybitEnvelope<T> {
  retCode: number;
  retMsg: string;
  result: T;
  retExtInfo?: unknown;
  time?: number;
  rateLimitApi?: { remainingRequests: number; maxRequests: number; resetAtTimestamp: number };
}

export type CallKind = 'read' | 'write';

export interface RestCallOptions {
  logger: Logger;
  secrets: string[];
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** Read attempts before giving up (network errors, 5xx, 10000/10016, rate limits). */
  readAttempts?: number;
  /** Rate-limit waits allowed for a write (a rate-limited write was not executed, so it may be re-sent). */
  writeRateLimitAttempts?: number;
  /** Back-off base when the exchange gives no reset time. */
  backoffMs?: number;
  /** After an HTTP 403 (Bybit's IP limit: "wait for at least 10 minutes") no REST request is sent for this long. */
  ipBanPauseMs?: number;
  /** Re-syncs the request clock with the server (/v5/market/time) after a 10002 (recv_window). */
  resyncTime?: () => Promise<unknown>;
}

const IP_BANNED = HTTP_ERROR_BASE - 403;
const TIMESTAMP = 10002;

const RATE_LIMIT = new Set([10006, 10018]);
const SERVER_BUSY = new Set([10000, 10016]);
const DUPLICATE = new Set([110072, 10014]);

export class RestCaller {
  private readonly readAttempts: number;
  private readonly writeRateLimitAttempts: number;
  private readonly backoffMs: number;
  /** Endpoint → time before which no request is sent (after a 10006 with a reset time). */
  private readonly blockedUntil = new Map<string, number>();
  private readonly ipBanPauseMs: number;
  /** Every REST request waits for this time after an HTTP 403 (all endpoints: the limit is per IP). */
  private pausedUntil = 0;

  constructor(private readonly o: RestCallOptions) {
    this.readAttempts = o.readAttempts ?? 5;
    this.writeRateLimitAttempts = o.writeRateLimitAttempts ?? 5;
    this.backoffMs = o.backoffMs ?? 500;
    this.ipBanPauseMs = o.ipBanPauseMs ?? 10 * 60_000;
  }

  /** When REST traffic may resume after an HTTP 403 (0 when not paused). */
  get restPausedUntil(): number {
    return this.pausedUntil > this.o.now() ? this.pausedUntil : 0;
  }

  /**
   * Runs `fn` and returns the result of a retCode-0 answer. `okCodes` are other retCodes that mean
   * success for this call (110043 for leverage, 34040 for an unchanged stop).
   */
  async call<T>(endpoint: string, kind: CallKind, fn: () => Promise<BybitEnvelope<T>>, okCodes: number[] = []): Promise<T> {
    let rateLimited = 0;
    let timeResyncs = 0;
    for (let attempt = 1; ; attempt++) {
      if (this.o.now() < this.pausedUntil) {
        throw new ExchangeError(IP_BANNED, `REST paused until ${new Date(this.pausedUntil).toISOString()} after an HTTP 403 from Bybit (IP limit); nothing was sent`, endpoint, 'rejected');
      }
      const wait = (this.blockedUntil.get(endpoint) ?? 0) - this.o.now();
      if (wait > 0) await this.o.sleep(wait);
      let failure: ExchangeError;
      let resetAt: number | undefined;
      try {
        const res = await fn();
        if (res.retCode === 0 || okCodes.includes(res.retCode)) return res.result;
        resetAt = res.rateLimitApi?.resetAtTimestamp;
        failure = this.classify(endpoint, res.retCode, res.retMsg ?? '');
      } catch (err) {
        failure = this.fromThrown(endpoint, err);
      }
      if (failure.retCode === IP_BANNED) {
        // Bybit: "terminate all HTTP sessions and wait for at least 10 minutes". WebSockets carry on.
        this.pausedUntil = this.o.now() + this.ipBanPauseMs;
        this.o.logger.error({ endpoint, pausedUntil: new Date(this.pausedUntil).toISOString() }, 'bybit answered HTTP 403: all REST requests paused');
        throw failure;
      }
      if (failure.retCode === TIMESTAMP && this.o.resyncTime && timeResyncs < 2) {
        timeResyncs++;
        await this.o.resyncTime().catch(() => undefined);
        this.o.logger.warn({ endpoint, kind }, 'bybit 10002 (request time outside recv_window): clock re-synced with the server');
        if (kind === 'read') continue;
        // A refused write is looked up by its client id before anything is sent again.
        throw new ExchangeError(TIMESTAMP, failure.retMsg, endpoint, 'unknown');
      }
      if (failure.outcome === 'rate_limited') {
        rateLimited++;
        const limit = kind === 'read' ? this.readAttempts : this.writeRateLimitAttempts;
        if (rateLimited >= limit) throw failure;
        // Honour the reset time when the header is there (pybit#340: it may not be).
        const until = resetAt && resetAt > this.o.now() ? resetAt : this.o.now() + this.backoffMs * 2 ** (rateLimited - 1);
        this.blockedUntil.set(endpoint, until);
        this.o.logger.warn({ endpoint, retCode: failure.retCode, waitMs: until - this.o.now() }, 'bybit rate limit: backing off');
        continue;
      }
      if (failure.outcome === 'unknown' && kind === 'read' && attempt < this.readAttempts) {
        this.o.logger.warn({ endpoint, retCode: failure.retCode, retMsg: failure.retMsg, attempt }, 'bybit read failed, retrying');
        await this.o.sleep(this.backoffMs * 2 ** (attempt - 1));
        continue;
      }
      this.o.logger.warn({ endpoint, retCode: failure.retCode, retMsg: failure.retMsg, outcome: failure.outcome }, 'bybit request failed');
      throw failure;
    }
  }

  private classify(endpoint: string, retCode: number, retMsg: string): ExchangeError {
    let outcome: ErrorOutcome = 'rejected';
    if (RATE_LIMIT.has(retCode)) outcome = 'rate_limited';
    else if (SERVER_BUSY.has(retCode)) outcome = 'unknown';
    else if (DUPLICATE.has(retCode)) outcome = 'duplicate';
    return new ExchangeError(retCode, retMsg, endpoint, outcome);
  }

  private fromThrown(endpoint: string, err: unknown): ExchangeError {
    const s = scrubError(err, this.o.secrets);
    if (s.status !== undefined) {
      // HTTP error with a Bybit body still carries a retCode worth classifying.
      if (s.retCode !== undefined && s.retCode !== 0) return this.classify(endpoint, s.retCode, s.retMsg ?? s.message);
      const outcome: ErrorOutcome = s.status === 429 ? 'rate_limited' : s.status >= 500 ? 'unknown' : 'rejected';
      return new ExchangeError(HTTP_ERROR_BASE - s.status, `HTTP ${s.status} ${s.message}`.trim(), endpoint, outcome);
    }
    // No answer at all (timeout, reset, refused): the request may have been executed.
    return new ExchangeError(NETWORK_ERROR, s.code ? `${s.code}: ${s.message}` : s.message, endpoint, 'unknown');
  }
}
