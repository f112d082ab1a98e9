// A local fake of Bybit's V5 REST and WebSocket APIs that the real bybit-api client talks to.
// It checks HMAC signatures, keeps state in FakeBybitState, speaks the documented envelopes
// ({retCode, retMsg, result, retExtInfo, time} and X-Bapi-Limit* headers) and takes fault scripts.
import { createHmac, randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { FakeBybitState, isOpen, type FakeExecution, type FakeOrder, type FakePosition } from './state.js';

export interface FakeBybitOptions {
  key?: string;
  secret?: string;
}

/** One scripted failure for the next `times` requests to `path`. */
export type RestFault =
  | { kind: 'status'; status: number } // answer with an HTTP error, do nothing
  | { kind: 'retCode'; retCode: number; retMsg?: string; resetInMs?: number } // Bybit error, do nothing (resetInMs → reset header)
  | { kind: 'commit-then-destroy' } // execute, then kill the socket before answering
  | { kind: 'commit-then-hang' } // execute, then never answer
  | { kind: 'commit-then-status'; status: number }; // execute, then answer 5xx

export interface FakeFaults {
  rest(path: string, fault: RestFault, times?: number): void;
  /** Closes the WebSocket connections of that kind (the client reconnects). */
  dropWs(kind?: 'public' | 'private'): void;
  /** Keeps the sockets open but stops answering pings and pushing data. */
  stallWs(kind?: 'public' | 'private'): void;
  /** Drops every connection (HTTP and WS); state persists, like a process restart behind a LB. */
  restart(): void;
  /** The next `n` lookups by orderLinkId (realtime or history) answer "no such order" (Bybit's visibility lag). */
  hideLookups(n: number): void;
  /** The private socket answers `op:auth` only after `ms` (a slow gateway; subscriptions wait for it). */
  delayWsAuth(ms: number): void;
  /**
   * The next `n` cancels of an open order lose the race to a fill (T15): the rest fills, Bybit
   * pushes a second `Filled` order message carrying the failed cancel (cancelType CancelByUser,
   * rejectReason EC_OrigClOrdIDDoesNotExist) and the cancel answers 110001.
   */
  fillBeforeCancel(n?: number): void;
  /** While on, every new WebSocket of that kind is closed right after it opens (a reconnect storm). */
  stormWs(kind: 'public' | 'private', on: boolean): void;
}

export interface RequestLogEntry { method: string; path: string; query: string; body: Record<string, unknown>; at: number; answered: string; signed: boolean }

export interface FakeBybit {
  restUrl: string;
  wsUrl: string;
  state: FakeBybitState;
  faults: FakeFaults;
  requests: RequestLogEntry[];
  /** Every WebSocket connection attempt the fake accepted, in order. */
  wsConnections: { kind: 'public' | 'private'; at: number }[];
  /** Pushes a kline on the public stream (and stores it when confirmed). */
  pushKline(symbol: string, interval: string, c: { ts: number; open: number; high: number; low: number; close: number; volume: number }, confirm: boolean): void;
  close(): Promise<void>;
}

interface Conn { ws: WebSocket; kind: 'public' | 'private'; authed: boolean; topics: Set<string>; stalled: boolean; id: string }

const PRIVATE_PATHS = new Set(['/v5/position/switch-mode', '/v5/order/create', '/v5/order/cancel', '/v5/order/realtime', '/v5/order/history', '/v5/position/set-leverage', '/v5/position/trading-stop', '/v5/position/list', '/v5/account/wallet-balance', '/v5/execution/list']);

export async function startFakeBybit(opts: FakeBybitOptions = {}): Promise<FakeBybit> {
  const key = opts.key ?? 'test-key-123456';
  const secret = opts.secret ?? 'test-secret-abcdef';
  const state = new FakeBybitState();
  const requests: RequestLogEntry[] = [];
  const scripted: { path: string; fault: RestFault; left: number }[] = [];
  const sockets = new Set<Socket>();
  const conns = new Set<Conn>();
  let hiddenLookups = 0;
  let authDelayMs = 0;
  let cancelRacesLeft = 0;
  const storm = new Set<'public' | 'private'>();
  const wsConnections: { kind: 'public' | 'private'; at: number }[] = [];
  const hidden = (q: Record<string, string>) => Boolean(q.orderLinkId) && hiddenLookups > 0 && hiddenLookups-- > 0;

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err) => {
      if (!res.headersSent) send(res, 200, { retCode: 10016, retMsg: `fake internal error: ${String(err)}`, result: {} });
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const rawQuery = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1) : '';
    const rawBody = await readBody(req);
    const body = rawBody ? (JSON.parse(rawBody) as Record<string, unknown>) : {};
    const q = Object.fromEntries(url.searchParams);
    const entry: RequestLogEntry = { method: req.method ?? 'GET', path: url.pathname, query: rawQuery, body, at: Date.now(), answered: '', signed: 'x-bapi-api-key' in req.headers };
    requests.push(entry);

    if (PRIVATE_PATHS.has(url.pathname)) {
      const bad = checkSignature(req, req.method === 'GET' ? rawQuery : rawBody);
      if (bad) return reply(res, entry, { retCode: bad.code, retMsg: bad.msg, result: {} });
    }
    const fault = takeFault(url.pathname);
    if (fault?.kind === 'status') { entry.answered = `HTTP ${fault.status}`; return void sendRaw(res, fault.status, '<html>bad gateway</html>'); }
    if (fault?.kind === 'retCode') {
      const headers: Record<string, string> = { 'X-Bapi-Limit': '10', 'X-Bapi-Limit-Status': '0' };
      if (fault.resetInMs !== undefined) headers['X-Bapi-Limit-Reset-Timestamp'] = String(Date.now() + fault.resetInMs);
      return reply(res, entry, { retCode: fault.retCode, retMsg: fault.retMsg ?? 'Too many visits!', result: {} }, headers);
    }
    const answer = route(url.pathname, q, body);
    if (fault?.kind === 'commit-then-destroy') { entry.answered = 'destroyed'; req.socket.destroy(); return; }
    if (fault?.kind === 'commit-then-hang') { entry.answered = 'hung'; return; }
    if (fault?.kind === 'commit-then-status') { entry.answered = `HTTP ${fault.status}`; return void sendRaw(res, fault.status, 'gateway timeout'); }
    return reply(res, entry, answer);
  }

  function takeFault(path: string): RestFault | undefined {
    const f = scripted.find((s) => s.path === path && s.left > 0);
    if (!f) return undefined;
    f.left--;
    return f.fault;
  }

  function checkSignature(req: IncomingMessage, payload: string): { code: number; msg: string } | null {
    const h = req.headers;
    if (h['x-bapi-api-key'] !== key) return { code: 10003, msg: 'API key is invalid.' };
    const ts = String(h['x-bapi-timestamp'] ?? '');
    const recv = String(h['x-bapi-recv-window'] ?? '5000');
    const now = Date.now();
    if (!(now - Number(recv) <= Number(ts) && Number(ts) < now + 1000)) return { code: 10002, msg: 'invalid request, please check your server timestamp or recv_window param' };
    const expected = createHmac('sha256', secret).update(ts + key + recv + payload).digest('hex');
    if (h['x-bapi-sign'] !== expected) return { code: 10004, msg: 'error sign! origin_string[...]' };
    return null;
  }

  type Env = { retCode: number; retMsg: string; result: unknown };
  const ok = (result: unknown): Env => ({ retCode: 0, retMsg: 'OK', result });
  const err = (retCode: number, retMsg: string): Env => ({ retCode, retMsg, result: {} });

  function route(path: string, q: Record<string, string>, b: Record<string, unknown>): Env {
    switch (path) {
      case '/v5/market/time': {
        const now = Date.now();
        return ok({ timeSecond: String(Math.floor(now / 1000)), timeNano: `${now}000000` });
      }
      case '/v5/market/instruments-info': {
        const all = [...state.instruments.values()].filter((i) => !q.symbol || i.symbol === q.symbol);
        const limit = Number(q.limit ?? 500);
        const start = Number(q.cursor ?? 0);
        const page = all.slice(start, start + limit);
        return ok({
          category: 'linear',
          list: page.map((i) => ({
            symbol: i.symbol, contractType: 'LinearPerpetual', status: i.status, baseCoin: i.symbol.replace('USDT', ''), quoteCoin: 'USDT', settleCoin: 'USDT',
            leverageFilter: { minLeverage: '1', maxLeverage: i.maxLeverage, leverageStep: '0.01' },
            priceFilter: { minPrice: i.tickSize, maxPrice: '1999999.80', tickSize: i.tickSize },
            lotSizeFilter: { maxOrderQty: i.maxOrderQty, minOrderQty: i.minOrderQty, qtyStep: i.qtyStep, maxMktOrderQty: i.maxOrderQty, minNotionalValue: i.minNotionalValue },
          })),
          nextPageCursor: start + limit < all.length ? String(start + limit) : '',
        });
      }
      case '/v5/market/kline': {
        const limit = Math.min(1000, Number(q.limit ?? 200));
        const start = q.start ? Number(q.start) : -Infinity;
        const end = q.end ? Number(q.end) : Infinity;
        const rows = state.candles(q.symbol, q.interval).filter((c) => c.ts >= start && c.ts <= end).reverse().slice(0, limit);
        return ok({ category: 'linear', symbol: q.symbol, list: rows.map((c) => [String(c.ts), String(c.open), String(c.high), String(c.low), String(c.close), String(c.volume), String(c.volume * c.close)]) });
      }
      case '/v5/market/tickers': {
        const list = [...state.instruments.keys()].filter((s) => !q.symbol || s === q.symbol).map((s) => {
          const p = state.price(s);
          return { symbol: s, lastPrice: String(p), bid1Price: String(p - 0.1), ask1Price: String(p + 0.1), markPrice: String(p), indexPrice: String(p), turnover24h: String(state.turnover.get(s) ?? 123456789), fundingRate: '0.0001', nextFundingTime: '0' };
        });
        return ok({ category: 'linear', list });
      }
      case '/v5/market/orderbook': {
        const p = state.price(q.symbol);
        return ok({ s: q.symbol, b: [[String(p - 0.1), '1.5']], a: [[String(p + 0.1), '2']], ts: Date.now(), u: 1, seq: 1 });
      }
      case '/v5/position/set-leverage': {
        const lev = Number(b.buyLeverage);
        if (b.buyLeverage !== b.sellLeverage) return err(10001, 'buy leverage must equal sell leverage in one-way mode');
        const inst = state.instruments.get(String(b.symbol));
        if (!inst) return err(10001, 'symbol invalid');
        if (!(lev >= 1 && lev <= Number(inst.maxLeverage))) return err(10001, 'leverage invalid');
        if (state.leverage.get(String(b.symbol)) === lev) return err(110043, 'Set leverage not modified');
        state.leverage.set(String(b.symbol), lev);
        const pos = state.positions.get(String(b.symbol));
        if (pos) pos.leverage = lev;
        return ok({});
      }
      case '/v5/order/create': return createOrder(b);
      case '/v5/order/cancel': {
        const o = state.findOrder(b.orderLinkId as string | undefined, b.orderId as string | undefined);
        if (o && isOpen(o) && cancelRacesLeft > 0) {
          cancelRacesLeft--;
          state.fill(o, o.qty - o.cumExecQty, o.price, true);
          pushPrivate('order', [{ category: 'linear', ...orderJson(o), cancelType: 'CancelByUser', rejectReason: 'EC_OrigClOrdIDDoesNotExist' }]);
        }
        if (!o || !isOpen(o)) return err(110001, 'Order does not exist.');
        state.cancel(o);
        return ok({ orderId: o.orderId, orderLinkId: o.orderLinkId });
      }
      case '/v5/order/realtime': {
        if (hidden(q)) return ok({ category: 'linear', list: [], nextPageCursor: '' });
        let list = state.orders.filter((o) => o.orderLinkId !== '' || !q.orderLinkId);
        if (q.orderId) list = list.filter((o) => o.orderId === q.orderId);
        else if (q.orderLinkId) list = list.filter((o) => o.orderLinkId === q.orderLinkId);
        else list = list.filter((o) => isOpen(o) && (!q.symbol || o.symbol === q.symbol));
        return ok({ category: 'linear', list: list.map(orderJson), nextPageCursor: '' });
      }
      case '/v5/order/history': {
        if (hidden(q)) return ok({ category: 'linear', list: [], nextPageCursor: '' });
        let list = state.orders.filter((o) => !isOpen(o));
        if (q.orderId) list = list.filter((o) => o.orderId === q.orderId);
        else if (q.orderLinkId) list = list.filter((o) => o.orderLinkId === q.orderLinkId);
        else if (q.symbol) list = list.filter((o) => o.symbol === q.symbol);
        return ok({ category: 'linear', list: list.map(orderJson), nextPageCursor: '' });
      }
      case '/v5/position/switch-mode': {
        const symbol = String(b.symbol ?? '');
        if (!state.instruments.has(symbol)) return err(10001, 'symbol invalid');
        const toHedge = Number(b.mode) === 3;
        if (toHedge === state.hedgeMode.has(symbol)) return err(110025, 'Position mode is not modified');
        if ((state.positions.get(symbol)?.size ?? 0) > 0) return err(110024, 'You have existing positions, so position mode cannot be switched');
        if (state.orders.some((o) => o.symbol === symbol && isOpen(o))) return err(110028, 'You have existing open orders, so position mode cannot be switched');
        if (toHedge) state.hedgeMode.add(symbol);
        else state.hedgeMode.delete(symbol);
        return ok({});
      }
      case '/v5/position/trading-stop': {
        if (b.tpslMode !== 'Full' && b.tpslMode !== 'Partial') return err(10001, 'slOrderType can not have a value when tpSlMode is empty');
        if (Number(b.positionIdx) !== 0 || state.hedgeMode.has(String(b.symbol))) return err(10001, 'position idx not match position mode');
        const r = state.setTradingStop(String(b.symbol), b.takeProfit === undefined ? undefined : Number(b.takeProfit), b.stopLoss === undefined ? undefined : Number(b.stopLoss));
        if (r === 'no_position') return err(10001, 'can not set tp/sl/ts for zero position');
        if (r === 'not_modified') return err(34040, 'not modified');
        return ok({});
      }
      case '/v5/position/list': {
        const symbols = q.symbol ? [q.symbol] : [...state.positions.keys()];
        const list = symbols
          .map((s) => state.positions.get(s) ?? (q.symbol ? emptyPosition(s) : undefined))
          .filter((p): p is FakePosition => Boolean(p) && (Boolean(q.symbol) || p!.size > 0));
        // Hedge mode: one row per side (positionIdx 1 Buy, 2 Sell), the empty side included.
        const rows = list.flatMap((p) => state.hedgeMode.has(p.symbol)
          ? [1, 2].map((idx) => ({ ...positionJson(p.side === (idx === 1 ? 'Buy' : 'Sell') ? p : emptyPosition(p.symbol)), positionIdx: idx }))
          : [positionJson(p)]);
        return ok({ category: 'linear', list: rows, nextPageCursor: '' });
      }
      case '/v5/account/wallet-balance': {
        const w = state.wallet;
        return ok({ list: [{ accountType: 'UNIFIED', totalEquity: String(w.equity), totalAvailableBalance: String(w.available), coin: [{ coin: 'USDT', equity: String(w.equity), walletBalance: String(w.equity) }] }] });
      }
      case '/v5/execution/list': {
        const start = Number(q.startTime ?? 0);
        const list = state.executions.filter((e) => e.execTime >= start && (!q.symbol || e.symbol === q.symbol)).slice().reverse();
        return ok({ category: 'linear', list: list.map(execJson), nextPageCursor: '' });
      }
      default:
        return err(10001, `fake: unknown path ${path}`);
    }
  }

  function createOrder(b: Record<string, unknown>): Env {
    const symbol = String(b.symbol ?? '');
    const inst = state.instruments.get(symbol);
    if (b.category !== 'linear') return err(10001, 'params error: category');
    if (!inst) return err(10001, 'params error: symbol invalid');
    const idx = Number(b.positionIdx ?? 0);
    if (state.hedgeMode.has(symbol) ? idx === 0 : idx !== 0) return err(10001, 'position idx not match position mode');
    const link = String(b.orderLinkId ?? '');
    if (link.length > 36 || !/^[A-Za-z0-9_-]*$/.test(link)) return err(10001, 'orderLinkId invalid');
    if (link && state.findOrder(link)) return err(110072, 'OrderLinkedID is duplicate');
    const qty = Number(b.qty);
    const step = Number(inst.qtyStep);
    if (!(qty > 0) || Math.abs(qty / step - Math.round(qty / step)) > 1e-9) return err(110017, 'orderQty will be truncated to zero');
    if (qty < Number(inst.minOrderQty)) return err(10001, 'The number of contracts is below the minimum allowed');
    const orderType = b.orderType === 'Limit' ? 'Limit' : 'Market';
    const price = orderType === 'Limit' ? Number(b.price) : 0;
    const tick = Number(inst.tickSize);
    for (const p of [price, Number(b.takeProfit ?? 0), Number(b.stopLoss ?? 0)]) {
      if (p && Math.abs(p / tick - Math.round(p / tick)) > 1e-9) return err(10001, 'price is not a multiple of tickSize');
    }
    const reduceOnly = b.reduceOnly === true;
    if (reduceOnly && (b.takeProfit || b.stopLoss)) return err(10001, 'TP/SL cannot be set for reduceOnly orders');
    if ((b.takeProfit || b.stopLoss) && b.tpslMode !== 'Full') return err(10001, 'tpslMode must be Full for this test server');
    const o = state.newOrder({
      symbol, side: b.side === 'Sell' ? 'Sell' : 'Buy', orderType, qty, price, reduceOnly, orderLinkId: link || randomUUID(),
      takeProfit: b.takeProfit ? Number(b.takeProfit) : undefined, stopLoss: b.stopLoss ? Number(b.stopLoss) : undefined,
    });
    state.submit(o);
    return ok({ orderId: o.orderId, orderLinkId: o.orderLinkId });
  }

  function reply(res: ServerResponse, entry: RequestLogEntry, e: Env, headers: Record<string, string> = {}): void {
    entry.answered = `retCode ${e.retCode}`;
    const limitHeaders = { 'X-Bapi-Limit': '10', 'X-Bapi-Limit-Status': '9', 'X-Bapi-Limit-Reset-Timestamp': String(Date.now()), ...headers };
    send(res, 200, { ...e, retExtInfo: {}, time: Date.now() }, limitHeaders);
  }

  // ---------- WebSocket ----------
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const conn: Conn = { ws, kind: path.includes('private') ? 'private' : 'public', authed: false, topics: new Set(), stalled: false, id: randomUUID() };
    wsConnections.push({ kind: conn.kind, at: Date.now() });
    if (storm.has(conn.kind)) { ws.on('error', () => undefined); ws.terminate(); return; }
    conns.add(conn);
    ws.on('close', () => conns.delete(conn));
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      if (conn.stalled) return;
      let m: { op?: string; args?: unknown[]; req_id?: string };
      try { m = JSON.parse(String(data)); } catch { return; }
      const base = { conn_id: conn.id, req_id: m.req_id };
      if (m.op === 'ping') {
        wsSend(conn, conn.kind === 'private' ? { ...base, op: 'pong', args: [String(Date.now())] } : { ...base, success: true, ret_msg: 'pong', op: 'ping' });
      } else if (m.op === 'auth') {
        const [k, expires, sig] = (m.args ?? []) as [string, number, string];
        const good = k === key && Number(expires) > Date.now() && sig === createHmac('sha256', secret).update(`GET/realtime${expires}`).digest('hex');
        const answer = () => {
          conn.authed = good;
          wsSend(conn, { ...base, success: good, ret_msg: good ? '' : 'Invalid sign', op: 'auth' });
        };
        if (authDelayMs > 0) setTimeout(answer, authDelayMs);
        else answer();
      } else if (m.op === 'subscribe') {
        const topics = (m.args ?? []).map(String);
        const isPrivate = topics.some((t) => !t.includes('.'));
        if (isPrivate && !conn.authed) return wsSend(conn, { ...base, success: false, ret_msg: 'Request not authorized', op: 'subscribe' });
        for (const t of topics) conn.topics.add(t);
        wsSend(conn, { ...base, success: true, ret_msg: '', op: 'subscribe' });
      } else if (m.op === 'unsubscribe') {
        for (const t of (m.args ?? []).map(String)) conn.topics.delete(t);
        wsSend(conn, { ...base, success: true, ret_msg: '', op: 'unsubscribe' });
      }
    });
  });

  function wsSend(conn: Conn, msg: unknown): void {
    if (conn.stalled || conn.ws.readyState !== 1) return;
    conn.ws.send(JSON.stringify(msg));
  }

  function pushPrivate(topic: string, data: unknown[]): void {
    for (const c of conns) {
      if (c.authed && c.topics.has(topic)) wsSend(c, { id: randomUUID(), topic, creationTime: Date.now(), data });
    }
  }

  // Executions of one tick go out in one message (Bybit batches several executions per message).
  let execBatch: FakeExecution[] = [];
  state.events.on('execution', (e: FakeExecution) => {
    if (!execBatch.length) setImmediate(() => { const b = execBatch; execBatch = []; pushPrivate('execution', b.map((x) => ({ category: 'linear', ...execJson(x) }))); });
    execBatch.push(e);
  });
  state.events.on('order', (o: FakeOrder) => pushPrivate('order', [{ category: 'linear', ...orderJson(o) }]));
  state.events.on('position', (p: FakePosition) => pushPrivate('position', [{ category: 'linear', ...positionJson(p), entryPrice: String(p.avgPrice) }]));

  function pushKline(symbol: string, interval: string, c: { ts: number; open: number; high: number; low: number; close: number; volume: number }, confirm: boolean): void {
    if (confirm) state.addCandle(symbol, interval, c);
    const topic = `kline.${interval}.${symbol}`;
    const ms = interval === 'D' ? 86_400_000 : Number(interval) * 60_000;
    const data = [{ start: c.ts, end: c.ts + ms - 1, interval, open: String(c.open), close: String(c.close), high: String(c.high), low: String(c.low), volume: String(c.volume), turnover: String(c.volume * c.close), confirm, timestamp: Date.now() }];
    for (const conn of conns) if (conn.topics.has(topic)) wsSend(conn, { topic, type: 'snapshot', ts: Date.now(), data });
  }

  const faults: FakeFaults = {
    rest(path, fault, times = 1) { scripted.push({ path, fault, left: times }); },
    dropWs(kind) { for (const c of [...conns]) if (!kind || c.kind === kind) c.ws.terminate(); },
    stallWs(kind) { for (const c of conns) if (!kind || c.kind === kind) c.stalled = true; },
    hideLookups(n) { hiddenLookups = n; },
    delayWsAuth(ms) { authDelayMs = ms; },
    fillBeforeCancel(n = 1) { cancelRacesLeft = n; },
    stormWs(kind, on) { if (on) storm.add(kind); else storm.delete(kind); },
    restart() {
      for (const c of [...conns]) c.ws.terminate();
      for (const s of sockets) s.destroy();
    },
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    restUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    state,
    faults,
    requests,
    wsConnections,
    pushKline,
    async close() {
      for (const c of [...conns]) c.ws.terminate();
      wss.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const FAKE_KEY = 'test-key-123456';
export const FAKE_SECRET = 'test-secret-abcdef';

function emptyPosition(symbol: string): FakePosition {
  return { symbol, side: '', size: 0, avgPrice: 0, leverage: 10, takeProfit: 0, stopLoss: 0, seq: 0 };
}

function orderJson(o: FakeOrder): Record<string, unknown> {
  return {
    orderId: o.orderId, orderLinkId: o.orderLinkId, symbol: o.symbol, side: o.side, orderType: o.orderType, price: String(o.price), qty: String(o.qty),
    orderStatus: o.orderStatus, cumExecQty: String(o.cumExecQty), cumExecValue: String(o.cumExecValue), cumExecFee: String(o.cumExecFee),
    avgPrice: o.cumExecQty > 0 ? String(o.cumExecValue / o.cumExecQty) : '', leavesQty: String(isOpen(o) ? o.qty - o.cumExecQty : 0),
    reduceOnly: o.reduceOnly, takeProfit: o.takeProfit ? String(o.takeProfit) : '', stopLoss: o.stopLoss ? String(o.stopLoss) : '',
    tpslMode: o.takeProfit || o.stopLoss ? 'Full' : '', positionIdx: 0, timeInForce: o.orderType === 'Limit' ? 'GTC' : 'IOC', stopOrderType: o.stopOrderType,
    createdTime: String(o.createdTime), updatedTime: String(o.updatedTime),
  };
}

function positionJson(p: FakePosition): Record<string, unknown> {
  return {
    positionIdx: 0, symbol: p.symbol, side: p.side, size: String(p.size), avgPrice: String(p.avgPrice), leverage: String(p.leverage),
    takeProfit: p.takeProfit ? String(p.takeProfit) : '', stopLoss: p.stopLoss ? String(p.stopLoss) : '', tpslMode: 'Full',
    unrealisedPnl: '0', liqPrice: '', markPrice: '', seq: p.seq, isReduceOnly: false,
  };
}

function execJson(e: FakeExecution): Record<string, unknown> {
  return {
    symbol: e.symbol, execId: e.execId, orderId: e.orderId, orderLinkId: e.orderLinkId, side: e.side, execPrice: String(e.execPrice), execQty: String(e.execQty),
    execFee: String(e.execFee), execType: e.execType ?? 'Trade', isMaker: e.isMaker, execTime: String(e.execTime), closedSize: String(e.closedSize), stopOrderType: e.stopOrderType,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (s += c));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function sendRaw(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/html' });
  res.end(text);
}
