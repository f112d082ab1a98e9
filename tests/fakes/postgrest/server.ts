// A local stand-in for PostgREST (the REST layer of Supabase), backed by a real PostgreSQL
// (PGlite) so answers are honest. It covers what SupabaseStore sends — upsert by POST with
// on_conflict, filtered/ordered/paged GET, rpc — checks the headers supabase-js must send
// (apikey, Bearer authorization, profile headers, Prefer), records every request, and can
// simulate outages (HTTP 503 or a closed port).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PGliteInterface } from '@electric-sql/pglite';

export interface RecordedRequest {
  method: string;
  path: string;
  query: [string, string][];
  headers: Record<string, string | undefined>;
  body: unknown;
  status: number;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;
const RESERVED = new Set(['select', 'order', 'limit', 'offset', 'on_conflict', 'columns']);
const OPS: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };

class HttpError extends Error {
  constructor(readonly status: number, readonly body: Record<string, unknown>) { super(String(body.message)); }
}

function ident(name: string): string {
  if (!IDENT.test(name)) throw new HttpError(400, { code: 'PGRST100', message: `bad identifier ${JSON.stringify(name)}` });
  return `"${name}"`;
}

/** PostgREST's mapping of PostgreSQL errors to HTTP statuses (the subset that matters here). */
function pgError(e: unknown): HttpError {
  const err = e as { code?: string; message?: string; detail?: string; hint?: string };
  const code = err.code ?? 'XX000';
  const status = code === '23505' || code === '23503' ? 409 : code.startsWith('23') || code.startsWith('22') ? 400 : code === '42P01' || code === '42883' ? 404 : 500;
  return new HttpError(status, { code, message: err.message ?? String(e), details: err.detail ?? null, hint: err.hint ?? null });
}

export class FakePostgrest {
  readonly requests: RecordedRequest[] = [];
  private server: Server | null = null;
  private port = 0;
  private failing: { count: number; status: number } = { count: 0, status: 503 };

  constructor(private readonly db: PGliteInterface, readonly key: string) {}

  get url(): string { return `http://127.0.0.1:${this.port}`; }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Closes the port: clients get connection refused until start() listens again on it. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The next `count` requests are answered with `status` (503: as when PostgREST has no database). */
  fail(count: number, status = 503): void {
    this.failing = { count, status };
  }

  writes(table: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path === `/rest/v1/${table}` && r.status < 300);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const rec: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: [...url.searchParams.entries()],
      headers: {
        apikey: req.headers.apikey as string | undefined,
        authorization: req.headers.authorization,
        prefer: req.headers.prefer as string | undefined,
        'content-profile': req.headers['content-profile'] as string | undefined,
        'accept-profile': req.headers['accept-profile'] as string | undefined,
        'content-type': req.headers['content-type'],
      },
      body: text ? JSON.parse(text) : undefined,
      status: 0,
    };
    this.requests.push(rec);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      rec.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    try {
      if (this.failing.count > 0) {
        this.failing.count--;
        throw new HttpError(this.failing.status, { code: 'PGRST000', message: 'Could not connect to the database', details: null, hint: null });
      }
      this.checkHeaders(rec);
      const m = /^\/rest\/v1\/(rpc\/)?([^/]+)$/.exec(url.pathname);
      if (!m) throw new HttpError(404, { code: 'PGRST125', message: `invalid path ${url.pathname}` });
      const [, rpc, name] = m;
      if (rpc && rec.method === 'POST') return send(200, await this.rpc(name, rec.body as Record<string, unknown>));
      if (rec.method === 'GET') {
        const { rows, offset } = await this.select(name, url.searchParams);
        return send(200, rows, { 'content-range': rows.length ? `${offset}-${offset + rows.length - 1}/*` : '*/*' });
      }
      if (rec.method === 'POST') {
        await this.upsert(name, url.searchParams, rec.body, rec.headers.prefer ?? '');
        return send(201, undefined);
      }
      throw new HttpError(405, { code: 'PGRST117', message: `unsupported method ${rec.method}` });
    } catch (e) {
      const h = e instanceof HttpError ? e : pgError(e);
      send(h.status, h.body);
    }
  }

  private checkHeaders(r: RecordedRequest): void {
    if (r.headers.apikey !== this.key || r.headers.authorization !== `Bearer ${this.key}`) {
      throw new HttpError(401, { code: 'PGRST301', message: 'Invalid API key', details: null, hint: null });
    }
    const profile = r.method === 'GET' ? r.headers['accept-profile'] : r.headers['content-profile'];
    if (profile !== undefined && profile !== 'public') throw new HttpError(406, { code: 'PGRST106', message: `schema ${profile} is not exposed` });
    if (r.method === 'POST' && !/application\/json/.test(r.headers['content-type'] ?? '')) {
      throw new HttpError(415, { code: 'PGRST102', message: 'content-type must be application/json' });
    }
  }

  private async columnsOf(table: string): Promise<Set<string>> {
    const r = await this.db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`, [table]);
    if (!r.rows.length) throw new HttpError(404, { code: '42P01', message: `relation "public.${table}" does not exist` });
    return new Set(r.rows.map((x) => x.column_name));
  }

  private async select(table: string, q: URLSearchParams): Promise<{ rows: unknown[]; offset: number }> {
    const cols = await this.columnsOf(table);
    const col = (c: string) => {
      if (!cols.has(c)) throw new HttpError(400, { code: '42703', message: `column ${table}.${c} does not exist` });
      return ident(c);
    };
    const sel = q.get('select') ?? '*';
    const list = sel === '*' ? '*' : sel.split(',').map((c) => col(c.trim())).join(', ');
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [k, v] of q.entries()) {
      if (RESERVED.has(k)) continue;
      const neg = v.startsWith('not.');
      const expr = neg ? v.slice(4) : v;
      const dot = expr.indexOf('.');
      const op = expr.slice(0, dot);
      const val = expr.slice(dot + 1);
      let cond: string;
      if (op in OPS) {
        params.push(val);
        cond = `${col(k)} ${OPS[op]} $${params.length}`;
      } else if (op === 'is') {
        if (!['null', 'true', 'false'].includes(val)) throw new HttpError(400, { code: 'PGRST100', message: `bad is.${val}` });
        cond = `${col(k)} IS ${val.toUpperCase()}`;
      } else if (op === 'in') {
        const items = /^\((.*)\)$/.exec(val)?.[1]?.split(',') ?? [];
        params.push(items);
        cond = `${col(k)}::text = ANY($${params.length}::text[])`;
      } else {
        throw new HttpError(400, { code: 'PGRST100', message: `unsupported operator ${op}` });
      }
      where.push(neg ? `NOT (${cond})` : cond);
    }
    const order = (q.get('order') ?? '').split(',').filter(Boolean).map((o) => {
      const [c, dir = 'asc', nulls] = o.split('.');
      if (!['asc', 'desc'].includes(dir)) throw new HttpError(400, { code: 'PGRST100', message: `bad order ${o}` });
      return `${col(c)} ${dir.toUpperCase()}${nulls === 'nullsfirst' ? ' NULLS FIRST' : nulls === 'nullslast' ? ' NULLS LAST' : ''}`;
    });
    const limit = q.get('limit');
    const offset = Number(q.get('offset') ?? 0);
    const sql = `SELECT coalesce(json_agg(t), '[]'::json) AS rows FROM (SELECT ${list} FROM ${ident(table)}`
      + (where.length ? ` WHERE ${where.join(' AND ')}` : '')
      + (order.length ? ` ORDER BY ${order.join(', ')}` : '')
      + (limit !== null ? ` LIMIT ${Number.parseInt(limit, 10)}` : '')
      + (offset ? ` OFFSET ${offset}` : '')
      + ') t';
    const r = await this.db.query<{ rows: unknown[] }>(sql, params);
    return { rows: r.rows[0].rows, offset };
  }

  private async upsert(table: string, q: URLSearchParams, body: unknown, prefer: string): Promise<void> {
    const rows = Array.isArray(body) ? body : [body];
    if (!rows.length) return;
    const cols = await this.columnsOf(table);
    const named = q.get('columns')?.split(',').map((c) => c.replace(/^"|"$/g, '')) ?? Object.keys(rows[0] as object);
    for (const c of named) if (!cols.has(c)) throw new HttpError(400, { code: 'PGRST204', message: `Could not find the '${c}' column of '${table}' in the schema cache` });
    const list = named.map(ident).join(', ');
    let sql = `INSERT INTO ${ident(table)} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${ident(table)}, $1::json)`;
    const conflict = q.get('on_conflict');
    if (/resolution=merge-duplicates/.test(prefer)) {
      const key = (conflict ?? 'id').split(',').map(ident);
      const sets = named.filter((c) => !key.includes(`"${c}"`)).map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`);
      sql += ` ON CONFLICT (${key.join(', ')}) DO ${sets.length ? `UPDATE SET ${sets.join(', ')}` : 'NOTHING'}`;
    } else if (/resolution=ignore-duplicates/.test(prefer)) {
      sql += ' ON CONFLICT DO NOTHING';
    }
    try {
      await this.db.query(sql, [JSON.stringify(rows)]);
    } catch (e) {
      throw pgError(e);
    }
  }

  private async rpc(fn: string, args: Record<string, unknown>): Promise<unknown> {
    const f = await this.db.query<{ proretset: boolean; scalar: boolean }>(
      `SELECT p.proretset, t.typtype <> 'c' AS scalar FROM pg_proc p JOIN pg_type t ON t.oid = p.prorettype
       JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.proname = $1`, [fn]);
    if (!f.rows.length) throw new HttpError(404, { code: 'PGRST202', message: `Could not find the function public.${fn} in the schema cache` });
    const names = Object.keys(args ?? {});
    const call = `${ident(fn)}(${names.map((n, i) => `${ident(n)} => $${i + 1}`).join(', ')})`;
    const params = names.map((n) => (args[n] === null ? null : typeof args[n] === 'object' ? JSON.stringify(args[n]) : String(args[n])));
    try {
      const { proretset, scalar } = f.rows[0];
      if (proretset || !scalar) {
        const r = await this.db.query<{ rows: unknown[] }>(`SELECT coalesce(json_agg(t), '[]'::json) AS rows FROM ${call} t`, params);
        return proretset ? r.rows[0].rows : r.rows[0].rows[0] ?? null;
      }
      const r = await this.db.query<{ v: unknown }>(`SELECT to_json(${call}) AS v`, params);
      return r.rows[0].v;
    } catch (e) {
      throw pgError(e);
    }
  }
}
