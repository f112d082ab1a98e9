// A local Telegram Bot API server for tests: long-polling getUpdates with offsets, the methods the
// bot uses, a record of every request, 429 injection, and helpers that push updates from a user.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  token: string;
  body: Record<string, any>;
}

export interface FakeUser {
  id: number;
  username?: string;
  first_name?: string;
}

export interface StoredMessage {
  message_id: number;
  chat_id: number;
  text: string;
  reply_markup?: any;
}

export class FakeTelegram {
  readonly requests: RecordedRequest[] = [];
  /** Messages the bot sent, as they look now (edits applied). */
  readonly messages = new Map<number, StoredMessage>();
  /** Answers to callback queries, by callback id. */
  readonly answers = new Map<string, Record<string, any>>();
  private server: Server;
  private updates: any[] = [];
  private nextUpdateId = 1;
  private nextMessageId = 100;
  private nextCallbackId = 1;
  private waiters: (() => void)[] = [];
  private failures: { method: string; times: number; status: number; retryAfter?: number; description: string }[] = [];
  private polls = new Set<ServerResponse>();
  apiRoot = '';
  /** Called after every request is recorded (the interactive CLI prints from it). */
  onRequest: ((r: RecordedRequest) => void) | null = null;

  constructor(readonly validToken = '123456:TEST-token', readonly botUser = { id: 999, is_bot: true, first_name: 'SMC Ultra', username: 'smc_ultra_bot' }) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async listen(listenPort = 0): Promise<this> {
    await new Promise<void>((r) => this.server.listen(listenPort, '127.0.0.1', r));
    const { port } = this.server.address() as AddressInfo;
    this.apiRoot = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const res of this.polls) res.end(JSON.stringify({ ok: true, result: [] }));
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** The next `times` calls of `method` fail with 429 and `retry_after`. */
  inject429(method: string, retryAfter: number, times = 1): void {
    this.failures.push({ method, times, status: 429, retryAfter, description: `Too Many Requests: retry after ${retryAfter}` });
  }

  /** The next `times` calls of `method` fail with `status`. */
  injectError(method: string, status: number, description: string, times = 1): void {
    this.failures.push({ method, times, status, description });
  }

  calls(method: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method);
  }

  pushMessage(from: FakeUser, chatId: number, text: string): number {
    const message_id = this.nextMessageId++;
    const entities = text.startsWith('/') ? [{ type: 'bot_command', offset: 0, length: text.split(/\s/)[0].length }] : undefined;
    this.pushUpdate({
      message: {
        message_id,
        date: Math.floor(Date.now() / 1000),
        chat: chatId > 0 ? { id: chatId, type: 'private', first_name: from.first_name ?? 'U' } : { id: chatId, type: 'group', title: 'Trading' },
        from: { is_bot: false, first_name: from.first_name ?? 'User', ...from },
        text,
        entities,
      },
    });
    return message_id;
  }

  /** A tap on a button of a message the bot sent; returns the callback query id. */
  pushCallback(from: FakeUser, messageId: number, data: string): string {
    const msg = this.messages.get(messageId);
    if (!msg) throw new Error(`fake telegram: no bot message ${messageId}`);
    const id = `cbq${this.nextCallbackId++}`;
    this.pushUpdate({
      callback_query: {
        id,
        from: { is_bot: false, first_name: from.first_name ?? 'User', ...from },
        chat_instance: 'ci-1',
        data,
        message: { message_id: msg.message_id, date: Math.floor(Date.now() / 1000), chat: { id: msg.chat_id, type: msg.chat_id > 0 ? 'private' : 'group', title: 'Trading' }, text: msg.text, from: this.botUser },
      },
    });
    return id;
  }

  /** Resolves with the first recorded request matching `pred` (past or future). */
  async waitFor(pred: (r: RecordedRequest) => boolean, timeoutMs = 10_000): Promise<RecordedRequest> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.requests.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`fake telegram: timed out waiting; saw ${this.requests.map((r) => r.method).join(',')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async waitForCount(method: string, n: number, timeoutMs = 10_000): Promise<RecordedRequest[]> {
    await this.waitFor(() => this.calls(method).length >= n, timeoutMs);
    return this.calls(method);
  }

  private pushUpdate(u: Record<string, any>): void {
    this.updates.push({ update_id: this.nextUpdateId++, ...u });
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const m = /^\/bot([^/]+)\/(\w+)/.exec(req.url ?? '');
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const send = (status: number, body: unknown) => {
      if (res.writableEnded) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!m) return send(404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method] = m;
    const body = raw ? JSON.parse(raw) : {};
    this.requests.push({ method, token, body });
    this.onRequest?.({ method, token, body });
    this.wake();
    if (token !== this.validToken) return send(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const fail = this.failures.find((f) => f.method === method && f.times > 0);
    if (fail) {
      fail.times--;
      return send(fail.status, { ok: false, error_code: fail.status, description: fail.description, ...(fail.retryAfter !== undefined ? { parameters: { retry_after: fail.retryAfter } } : {}) });
    }
    const ok = (result: unknown) => send(200, { ok: true, result });
    switch (method) {
      case 'getMe':
        return ok(this.botUser);
      case 'deleteWebhook':
        if (body.drop_pending_updates) this.updates = [];
        return ok(true);
      case 'setMyCommands':
        return ok(true);
      case 'getUpdates':
        return this.getUpdates(body, res, ok);
      case 'sendMessage': {
        const msg: StoredMessage = { message_id: this.nextMessageId++, chat_id: Number(body.chat_id), text: body.text, reply_markup: body.reply_markup };
        this.messages.set(msg.message_id, msg);
        return ok(this.asMessage(msg));
      }
      case 'editMessageText': {
        const msg = this.messages.get(Number(body.message_id));
        if (!msg) return send(400, { ok: false, error_code: 400, description: 'Bad Request: message to edit not found' });
        const markup = body.reply_markup ?? undefined;
        if (msg.text === body.text && JSON.stringify(msg.reply_markup ?? null) === JSON.stringify(markup ?? null)) {
          return send(400, { ok: false, error_code: 400, description: 'Bad Request: message is not modified' });
        }
        msg.text = body.text;
        msg.reply_markup = markup;
        return ok(this.asMessage(msg));
      }
      case 'editMessageReplyMarkup': {
        const msg = this.messages.get(Number(body.message_id));
        if (!msg) return send(400, { ok: false, error_code: 400, description: 'Bad Request: message to edit not found' });
        msg.reply_markup = body.reply_markup;
        return ok(this.asMessage(msg));
      }
      case 'answerCallbackQuery':
        this.answers.set(body.callback_query_id, body);
        return ok(true);
      default:
        return send(404, { ok: false, error_code: 404, description: `Not Found: method ${method}` });
    }
  }

  private asMessage(msg: StoredMessage) {
    return {
      message_id: msg.message_id,
      date: Math.floor(Date.now() / 1000),
      chat: { id: msg.chat_id, type: msg.chat_id > 0 ? 'private' : 'group', title: 'Trading' },
      from: this.botUser,
      text: msg.text,
      ...(msg.reply_markup ? { reply_markup: msg.reply_markup } : {}),
    };
  }

  private getUpdates(body: any, res: ServerResponse, ok: (r: unknown) => void): void {
    const offset = Number(body.offset ?? 0);
    if (offset) this.updates = this.updates.filter((u) => u.update_id >= offset);
    const limit = Number(body.limit ?? 100);
    const ready = () => this.updates.slice(0, limit);
    if (ready().length || !body.timeout) return ok(ready());
    this.polls.add(res);
    const finish = () => {
      clearTimeout(timer);
      this.polls.delete(res);
      if (!res.writableEnded) ok(ready());
    };
    const timer = setTimeout(finish, Number(body.timeout) * 1000);
    const check = () => {
      if (res.writableEnded) return;
      if (ready().length) return finish();
      this.waiters.push(check);
    };
    this.waiters.push(check);
    res.on('close', () => {
      clearTimeout(timer);
      this.polls.delete(res);
    });
  }
}

export async function startFakeTelegram(token?: string): Promise<FakeTelegram> {
  return new FakeTelegram(token).listen();
}
