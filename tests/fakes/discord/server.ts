// A local Discord REST API (/api/v10/...) and WebSocket gateway for tests: HELLO → IDENTIFY →
// READY, heartbeats, pushed INTERACTION_CREATE for slash commands and buttons (with member roles),
// channel messages, interaction callbacks and webhook edits, 429 injection, and a request log.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface RecordedRequest {
  method: string;
  path: string;
  auth: string | undefined;
  body: any;
}

export interface FakeDiscordUser {
  id: string;
  username: string;
  roles?: string[];
}

export interface StoredDiscordMessage {
  id: string;
  channel_id: string;
  content: string;
  components: any[];
  flags?: number;
}

interface InteractionRecord {
  id: string;
  token: string;
  type: 2 | 3;
  messageId?: string;
  /** Callback type answered (4 reply, 5 deferred reply, 6 deferred update, 7 update). */
  callbackType?: number;
  /** What the interaction's own reply (@original) shows now. */
  reply?: { content: string; components: any[]; flags?: number };
  /** The reply as a channel message (so its buttons can be tapped). */
  replyMessageId?: string;
  followUps: { content: string; flags?: number }[];
}

export class FakeDiscord {
  readonly requests: RecordedRequest[] = [];
  readonly messages = new Map<string, StoredDiscordMessage>();
  readonly interactions = new Map<string, InteractionRecord>();
  readonly identifies: any[] = [];
  registeredCommands: any[] | null = null;
  apiRoot = '';
  /** Called after every request is recorded (the interactive CLI prints from it). */
  onRequest: ((r: RecordedRequest) => void) | null = null;
  private server: Server;
  private wss: WebSocketServer;
  private sockets = new Set<WebSocket>();
  private seq = 0;
  private nextId = 1_000_000_000_000_000n;
  private failures: { pattern: RegExp; method: string; times: number; status: number; retryAfter?: number }[] = [];
  private waiters: (() => void)[] = [];
  /** When false, the gateway never sends READY (a hung login). */
  sendReady = true;

  constructor(
    readonly validToken = 'discord-test-token',
    readonly applicationId = '777000000000000001',
    readonly guildId = '555000000000000001',
    readonly botUser = { id: '777000000000000001', username: 'smc-ultra', discriminator: '0', bot: true, global_name: null, avatar: null },
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({ server: this.server });
    this.wss.on('connection', (ws) => this.onSocket(ws));
  }

  async listen(listenPort = 0): Promise<this> {
    await new Promise<void>((r) => this.server.listen(listenPort, '127.0.0.1', r));
    const { port } = this.server.address() as AddressInfo;
    this.apiRoot = `http://127.0.0.1:${port}/api`;
    return this;
  }

  get wsUrl(): string {
    return this.apiRoot.replace(/^http/, 'ws').replace(/\/api$/, '');
  }

  get connected(): boolean {
    return this.sockets.size > 0;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** The next `times` requests matching method and path fail with 429 (`retryAfter` seconds). */
  inject429(method: string, pattern: RegExp, retryAfter: number, times = 1): void {
    this.failures.push({ method, pattern, times, status: 429, retryAfter });
  }

  injectError(method: string, pattern: RegExp, status: number, times = 1): void {
    this.failures.push({ method, pattern, times, status });
  }

  calls(method: string, pattern: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && pattern.test(r.path));
  }

  async waitFor(pred: () => boolean, what = 'condition', timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`fake discord: timed out waiting for ${what}; saw ${this.requests.map((r) => `${r.method} ${r.path}`).join(', ')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  pushSlashCommand(user: FakeDiscordUser, name: string, options: Record<string, string> = {}): InteractionRecord {
    const rec = this.newInteraction(2);
    this.dispatch('INTERACTION_CREATE', {
      ...this.interactionBase(rec, user),
      type: 2,
      data: { id: this.snowflake(), name, type: 1, options: Object.entries(options).map(([n, value]) => ({ name: n, type: 3, value })) },
    });
    return rec;
  }

  pushButton(user: FakeDiscordUser, messageId: string, customId: string): InteractionRecord {
    const msg = this.messages.get(messageId);
    if (!msg) throw new Error(`fake discord: no message ${messageId}`);
    const rec = this.newInteraction(3);
    rec.messageId = messageId;
    this.dispatch('INTERACTION_CREATE', {
      ...this.interactionBase(rec, user),
      type: 3,
      data: { custom_id: customId, component_type: 2 },
      message: this.asMessage(msg),
    });
    return rec;
  }

  /** Resolves once the bot has answered the interaction (and, for deferred ones, filled in the reply). */
  async settled(rec: InteractionRecord, opts: { followUp?: boolean } = {}): Promise<InteractionRecord> {
    await this.waitFor(() => {
      if (rec.callbackType === undefined) return false;
      if (rec.callbackType === 5 && !rec.reply) return false;
      if (opts.followUp && !rec.followUps.length) return false;
      return true;
    }, `interaction ${rec.id}`);
    return rec;
  }

  private newInteraction(type: 2 | 3): InteractionRecord {
    const rec: InteractionRecord = { id: this.snowflake(), token: `itoken-${this.seq + 1}-${Math.random().toString(36).slice(2)}`, type, followUps: [] };
    this.interactions.set(rec.id, rec);
    return rec;
  }

  private interactionBase(rec: InteractionRecord, user: FakeDiscordUser) {
    const u = { id: user.id, username: user.username, discriminator: '0', global_name: user.username, avatar: null };
    return {
      id: rec.id,
      application_id: this.applicationId,
      token: rec.token,
      version: 1,
      guild_id: this.guildId,
      channel_id: '888000000000000001',
      channel: { id: '888000000000000001', type: 0, guild_id: this.guildId, name: 'alerts' },
      member: { user: u, roles: user.roles ?? [], permissions: '0', joined_at: '2024-01-01T00:00:00.000Z', deaf: false, mute: false, flags: 0, nick: null, avatar: null, premium_since: null, pending: false },
      app_permissions: '0',
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': this.guildId },
      context: 0,
    };
  }

  private snowflake(): string {
    return String(this.nextId++);
  }

  private dispatch(t: string, d: unknown): void {
    const frame = JSON.stringify({ op: 0, t, s: ++this.seq, d });
    for (const s of this.sockets) s.send(frame);
  }

  private onSocket(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.send(JSON.stringify({ op: 10, s: null, t: null, d: { heartbeat_interval: 40_000 } }));
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw));
      if (msg.op === 1) ws.send(JSON.stringify({ op: 11, s: null, t: null, d: null }));
      if (msg.op === 2) {
        this.identifies.push(msg.d);
        this.wake();
        if (!this.sendReady) return;
        ws.send(
          JSON.stringify({
            op: 0,
            t: 'READY',
            s: ++this.seq,
            d: { v: 10, user: this.botUser, guilds: [], session_id: 'session-1', resume_gateway_url: this.wsUrl, shard: [0, 1], application: { id: this.applicationId, flags: 0 } },
          }),
        );
      }
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private asMessage(m: StoredDiscordMessage) {
    return {
      id: m.id,
      channel_id: m.channel_id,
      content: m.content,
      components: m.components,
      author: this.botUser,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      type: 0,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      flags: m.flags ?? 0,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname).replace(/^\/api\/v10/, '');
    const method = req.method ?? 'GET';
    const body = raw && /json/.test(req.headers['content-type'] ?? '') ? JSON.parse(raw) : raw || null;
    this.requests.push({ method, path, auth: req.headers.authorization, body });
    this.onRequest?.({ method, path, auth: req.headers.authorization, body });
    this.wake();
    const json = (status: number, data: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(data));
    };
    const fail = this.failures.find((f) => f.method === method && f.pattern.test(path) && f.times > 0);
    if (fail) {
      fail.times--;
      if (fail.status === 429) {
        const ra = String(fail.retryAfter ?? 1);
        return json(429, { message: 'You are being rate limited.', retry_after: fail.retryAfter ?? 1, global: false }, { 'retry-after': ra, 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': ra, 'x-ratelimit-scope': 'user' });
      }
      return json(fail.status, { message: 'Injected failure', code: 0 });
    }
    const isWebhook = /^\/(interactions|webhooks)\//.test(path);
    if (!isWebhook && req.headers.authorization !== `Bot ${this.validToken}`) return json(401, { message: '401: Unauthorized', code: 0 });

    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/gateway/bot') {
      return json(200, { url: this.wsUrl, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 } });
    }
    if (method === 'PUT' && (m = /^\/applications\/(\d+)\/commands$/.exec(path))) {
      this.registeredCommands = body;
      return json(200, (body as any[]).map((c) => ({ id: this.snowflake(), application_id: m![1], version: '1', type: 1, ...c })));
    }
    if (method === 'POST' && (m = /^\/channels\/(\d+)\/messages$/.exec(path))) {
      const msg: StoredDiscordMessage = { id: this.snowflake(), channel_id: m[1], content: body.content ?? '', components: body.components ?? [] };
      this.messages.set(msg.id, msg);
      return json(200, this.asMessage(msg));
    }
    if (method === 'PATCH' && (m = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path))) {
      const msg = this.messages.get(m[2]);
      if (!msg) return json(404, { message: 'Unknown Message', code: 10008 });
      if (body.content !== undefined) msg.content = body.content;
      if (body.components !== undefined) msg.components = body.components;
      return json(200, this.asMessage(msg));
    }
    if (method === 'POST' && (m = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path))) {
      const rec = this.interactions.get(m[1]);
      if (!rec || rec.token !== m[2]) return json(404, { message: 'Unknown interaction', code: 10062 });
      if (rec.callbackType !== undefined) return json(400, { message: 'Interaction has already been acknowledged.', code: 40060 });
      rec.callbackType = body.type;
      if (body.type === 4 || body.type === 5) {
        const msg: StoredDiscordMessage = { id: this.snowflake(), channel_id: '888000000000000001', content: body.data?.content ?? '', components: body.data?.components ?? [], flags: body.data?.flags };
        this.messages.set(msg.id, msg);
        rec.replyMessageId = msg.id;
        if (body.type === 4) rec.reply = { content: msg.content, components: msg.components, flags: msg.flags };
      }
      if (body.type === 7) this.editInteractionMessage(rec, body.data ?? {});
      this.wake();
      // A 204 must not carry a JSON content-type (discord.js would try to parse the empty body).
      res.writeHead(204);
      res.end();
      return;
    }
    if (method === 'PATCH' && (m = /^\/webhooks\/(\d+)\/([^/]+)\/messages\/@original$/.exec(path))) {
      const rec = [...this.interactions.values()].find((r) => r.token === m![2]);
      if (!rec) return json(404, { message: 'Unknown Webhook', code: 10015 });
      const msg = this.editInteractionMessage(rec, body);
      this.wake();
      return json(200, this.asMessage(msg));
    }
    if (method === 'POST' && (m = /^\/webhooks\/(\d+)\/([^/]+)$/.exec(path))) {
      const rec = [...this.interactions.values()].find((r) => r.token === m![2]);
      if (!rec) return json(404, { message: 'Unknown Webhook', code: 10015 });
      rec.followUps.push({ content: body.content ?? '', flags: body.flags });
      this.wake();
      return json(200, this.asMessage({ id: this.snowflake(), channel_id: '888000000000000001', content: body.content ?? '', components: [], flags: body.flags }));
    }
    return json(404, { message: `fake discord: no route ${method} ${path}`, code: 0 });
  }

  /** A button interaction edits the message it is on; a command interaction edits its own reply. */
  private editInteractionMessage(rec: InteractionRecord, data: any): StoredDiscordMessage {
    if (rec.type === 3 && rec.messageId) {
      const msg = this.messages.get(rec.messageId)!;
      if (data.content !== undefined) msg.content = data.content;
      if (data.components !== undefined) msg.components = data.components;
      return msg;
    }
    rec.reply = { content: data.content ?? rec.reply?.content ?? '', components: data.components ?? rec.reply?.components ?? [], flags: rec.reply?.flags };
    const msg = this.messages.get(rec.replyMessageId ?? '');
    if (!msg) return { id: rec.id, channel_id: '888000000000000001', content: rec.reply.content, components: rec.reply.components };
    msg.content = rec.reply.content;
    msg.components = rec.reply.components;
    return msg;
  }
}

export async function startFakeDiscord(token?: string): Promise<FakeDiscord> {
  return new FakeDiscord(token).listen();
}
