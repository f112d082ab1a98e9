// Bybit WebSockets: one client for public klines, one for the private order/position/execution
// streams. bybit-api reconnects and resubscribes by itself but replays nothing, so after every
// reconnect the owner's `resync` runs (REST), and a watchdog forces a reconnect when a connection
// goes silent (no data and no pong) for `stallMs`.
import { WebsocketClient } from 'bybit-api';
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import type { Timeframe } from '../../../engine/timeframe.js';
import type { ExchangeEvent } from '../port.js';
import { scrubError } from '../scrub.js';
import { INTERVAL, timeframeOfInterval, toFill, toFunding, toOrderState, toPosition } from './mapping.js';

export type StreamKind = 'public' | 'private';

export interface StreamOptions {
  /** Base like ws://127.0.0.1:1234; the adapter appends /v5/public/linear and /v5/private. */
  wsBase?: string;
  testnet: boolean;
  demo: boolean;
  key?: string;
  secret?: string;
  logger: Logger;
  secrets: string[];
  /** A connection with no message at all (data or pong) for this long is torn down and reopened. */
  stallMs: number;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  reconnectDelayMs: number;
  subscribeTimeoutMs: number;
  /** A connection that dies sooner than this after opening counts as a quick drop (default 30 s). */
  stableMs?: number;
  /** Cap of the reconnect delay, which doubles with every quick drop in a row (default 60 s). */
  maxReconnectDelayMs?: number;
  onEvent: (e: ExchangeEvent) => void;
  /** Called after a reconnect, before the connection is reported up again. */
  resync: (kind: StreamKind) => Promise<void>;
}

type Raw = Record<string, unknown>;

export class BybitStream {
  private clients = new Map<StreamKind, WebsocketClient>();
  private lastMessageAt = new Map<StreamKind, number>();
  private sockets = new Map<StreamKind, WebSocket>();
  private watchdog: NodeJS.Timeout | undefined;
  private closed = false;
  /** Waiters for the next subscribe answer per connection (bybit-api resolves its promise on connect, not on the ack). */
  private ackWaiters = new Map<StreamKind, { resolve: () => void; reject: (e: Error) => void }[]>();
  private openedAt = new Map<StreamKind, number>();
  private quickDrops = new Map<StreamKind, number>();

  constructor(private readonly o: StreamOptions) {}

  async start(symbols: string[], tf: Timeframe, withPrivate: boolean): Promise<void> {
    const waits: Promise<unknown>[] = [];
    // Streaming starts only once the exchange has ACKed the subscriptions: an execution pushed
    // before the private topics are registered would otherwise be lost (the T12 race).
    if (symbols.length) {
      const pub = this.client('public');
      waits.push(this.nextAck('public'));
      waits.push(...pub.subscribeV5(symbols.map((s) => `kline.${INTERVAL[tf]}.${s}`), 'linear'));
    }
    if (withPrivate) {
      const priv = this.client('private');
      waits.push(this.nextAck('private'));
      waits.push(...priv.subscribeV5(['order', 'execution', 'position'], 'linear', true));
    }
    await withTimeout(Promise.all(waits), this.o.subscribeTimeoutMs, 'websocket subscribe');
    this.watchdog ??= setInterval(() => this.checkStall(), Math.max(50, Math.floor(this.o.stallMs / 4)));
    this.watchdog.unref();
  }

  /** Adds kline topics to the running public connection (bybit-api resubscribes them after reconnects). */
  async addKlines(symbols: string[], tf: Timeframe): Promise<void> {
    if (this.closed) throw new Error('the Bybit stream is closed');
    if (!symbols.length) return;
    const pub = this.client('public');
    const ack = this.nextAck('public');
    await withTimeout(Promise.all([ack, ...pub.subscribeV5(symbols.map((s) => `kline.${INTERVAL[tf]}.${s}`), 'linear')]), this.o.subscribeTimeoutMs, 'websocket subscribe');
  }

  private reconnectOptions(client: WebsocketClient): { reconnectTimeout: number } {
    return (client as unknown as { options: { reconnectTimeout: number } }).options;
  }

  /** Called on every open: once the connection has lived `stableMs`, the back-off starts over. */
  private markOpen(kind: StreamKind, client: WebsocketClient): void {
    const at = Date.now();
    this.openedAt.set(kind, at);
    const t = setTimeout(() => {
      if (this.closed || this.openedAt.get(kind) !== at) return;
      this.quickDrops.set(kind, 0);
      this.reconnectOptions(client).reconnectTimeout = this.o.reconnectDelayMs;
    }, this.o.stableMs ?? 30_000);
    t.unref();
  }

  private nextAck(kind: StreamKind): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const list = this.ackWaiters.get(kind) ?? [];
      list.push({ resolve, reject });
      this.ackWaiters.set(kind, list);
    });
  }

  private settleAck(kind: StreamKind, err: Error | null): void {
    const list = this.ackWaiters.get(kind) ?? [];
    this.ackWaiters.delete(kind);
    for (const w of list) if (err) w.reject(err); else w.resolve();
  }

  /**
   * Reconnect storm (Bybit: "do not frequently connect and disconnect"): every quick drop in a row
   * doubles the delay. bybit-api schedules the reconnect before it emits 'reconnect', so what is set
   * here is the delay of the NEXT reconnect; a connection that stays up resets it (markStable).
   */
  private onDropped(kind: StreamKind, client: WebsocketClient): void {
    const now = Date.now();
    const lived = now - (this.openedAt.get(kind) ?? now);
    const quick = lived < (this.o.stableMs ?? 30_000) ? (this.quickDrops.get(kind) ?? 0) + 1 : 0;
    this.quickDrops.set(kind, quick);
    const delay = Math.min(this.o.reconnectDelayMs * 2 ** quick, this.o.maxReconnectDelayMs ?? 60_000);
    this.reconnectOptions(client).reconnectTimeout = delay;
    if (quick === 3) {
      this.o.logger.error({ ws: kind, quickDrops: quick, nextDelayMs: delay }, 'bybit websocket reconnect storm: backing off');
      this.o.onEvent({ type: 'connection', connected: false, reason: `reconnect storm: the ${kind} stream dropped ${quick} times right after connecting; backing off to ${delay} ms` });
    }
  }

  close(): void {
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    for (const c of this.clients.values()) {
      c.removeAllListeners();
      c.on('exception', () => undefined); // late socket errors must not become unhandled
      c.closeAll(true);
    }
    this.clients.clear();
  }

  private client(kind: StreamKind): WebsocketClient {
    const existing = this.clients.get(kind);
    if (existing) return existing;
    const o = this.o;
    const log = o.logger;
    const quiet = {
      trace: () => undefined,
      info: (...a: unknown[]) => log.debug({ ws: kind }, String(a[0])),
      error: (...a: unknown[]) => log.warn({ ws: kind, detail: scrubError(a[1] ?? a[0], o.secrets) }, String(a[0])),
    };
    const client = new WebsocketClient(
      {
        key: kind === 'private' ? o.key : undefined,
        secret: kind === 'private' ? o.secret : undefined,
        testnet: o.testnet,
        demoTrading: o.demo,
        wsUrl: o.wsBase ? `${o.wsBase}${kind === 'public' ? '/v5/public/linear' : '/v5/private'}` : undefined,
        pingInterval: o.pingIntervalMs,
        pongTimeout: o.pongTimeoutMs,
        reconnectTimeout: o.reconnectDelayMs,
        promiseSubscribeRequests: true,
      },
      quiet,
    );
    const track = (ws: unknown) => {
      const sock = ws as WebSocket;
      this.sockets.set(kind, sock);
      this.lastMessageAt.set(kind, Date.now());
      sock.on('message', () => this.lastMessageAt.set(kind, Date.now()));
      sock.on('pong', () => this.lastMessageAt.set(kind, Date.now()));
    };
    client.on('open', (e) => {
      track(e.ws);
      this.markOpen(kind, client);
      o.onEvent({ type: 'connection', connected: true, reason: `${kind} stream open` });
    });
    client.on('reconnect', () => {
      if (this.closed) return;
      log.warn({ ws: kind }, 'bybit websocket dropped, reconnecting');
      this.onDropped(kind, client);
      o.onEvent({ type: 'connection', connected: false, reason: `${kind} stream dropped` });
    });
    client.on('reconnected', (e) => {
      track(e.ws);
      this.markOpen(kind, client);
      if (this.closed) return;
      log.info({ ws: kind }, 'bybit websocket reconnected, resynchronising by REST');
      o.resync(kind).then(
        () => o.onEvent({ type: 'connection', connected: true, reason: `${kind} stream resynchronised` }),
        (err) => {
          log.error({ ws: kind, err: scrubError(err, o.secrets) }, 'resync after reconnect failed; forcing another reconnect');
          this.sockets.get(kind)?.terminate();
        },
      );
    });
    client.on('update', (msg: Raw) => this.onUpdate(msg));
    client.on('response', (r: Raw) => {
      if (r?.op === 'subscribe' && r.success !== false) this.settleAck(kind, null);
    });
    client.on('exception', (e: unknown) => {
      log.warn({ ws: kind, err: scrubError(e, o.secrets) }, 'bybit websocket error');
      const r = e as Raw;
      if ((r?.op === 'subscribe' || r?.op === 'auth') && r.success === false) {
        this.settleAck(kind, new Error(`bybit ${kind} stream ${r.op} refused: ${String(r.ret_msg ?? 'no reason given')}`));
      }
    });
    this.clients.set(kind, client);
    return client;
  }

  private checkStall(): void {
    const now = Date.now();
    for (const [kind, at] of this.lastMessageAt) {
      const sock = this.sockets.get(kind);
      if (!sock || sock.readyState !== 1) continue;
      if (now - at > this.o.stallMs) {
        this.o.logger.warn({ ws: kind, silentMs: now - at }, 'bybit websocket stalled, forcing reconnect');
        this.lastMessageAt.set(kind, now);
        sock.terminate();
      }
    }
  }

  private onUpdate(msg: Raw): void {
    const topic = String(msg.topic ?? '');
    const data = (Array.isArray(msg.data) ? msg.data : [msg.data]) as Raw[];
    if (topic.startsWith('kline.')) {
      const [, interval, symbol] = topic.split('.');
      const tf = timeframeOfInterval(interval);
      if (!tf) return;
      for (const k of data) {
        // Only a closed candle may reach the engine.
        if (k.confirm !== true) continue;
        this.o.onEvent({
          type: 'candle',
          symbol,
          tf,
          candle: { ts: Number(k.start), open: Number(k.open), high: Number(k.high), low: Number(k.low), close: Number(k.close), volume: Number(k.volume) },
        });
      }
    } else if (topic === 'order' || topic === 'order.linear') {
      for (const r of data) this.o.onEvent({ type: 'order', order: toOrderState(r) });
    } else if (topic === 'execution' || topic === 'execution.linear') {
      for (const r of data) {
        if (!r.execType || r.execType === 'Trade') this.o.onEvent({ type: 'fill', fill: toFill(r) });
        else if (r.execType === 'Funding') this.o.onEvent(toFunding(r));
      }
    } else if (topic === 'position' || topic === 'position.linear') {
      for (const r of data) {
        const p = toPosition(r);
        this.o.onEvent({ type: 'position', position: p ?? { symbol: String(r.symbol), size: 0 } });
      }
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}
