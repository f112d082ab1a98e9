// GET /health: 200 with a JSON status while market data is fresh, 503 when it is stale for
// longer than two base candles (or has never arrived), so the platform restarts the service.
import { createServer, type Server } from 'node:http';
import { TF_MS } from '../../engine/timeframe.js';
import type { Runtime } from './runtime.js';

export interface HealthState {
  status: 'ok' | 'stale' | 'starting' | 'standby';
  mode: string;
  execution: string;
  paused: boolean;
  exchangeConnected: boolean;
  lastCandleAgeSeconds: number | null;
  openTrades: number;
  queueLength: number;
  pendingApprovals: number;
  uptimeSeconds: number;
  problem?: string;
}

export function healthOf(rt: Runtime | null, now: number, startupProblem: string | null, mode: string): HealthState {
  if (!rt) {
    return { status: 'starting', mode, execution: '', paused: false, exchangeConnected: false, lastCandleAgeSeconds: null, openTrades: 0, queueLength: 0, pendingApprovals: 0, uptimeSeconds: 0, problem: startupProblem ?? 'starting' };
  }
  const age = rt.lastCandleAt === null ? null : (now - rt.lastCandleAt) / 1000;
  const limit = (2 * TF_MS[rt.opts.baseTf]) / 1000;
  const stale = age === null || age > limit;
  return {
    status: stale ? 'stale' : 'ok',
    mode,
    execution: rt.executionMode,
    paused: rt.session.paused,
    exchangeConnected: rt.connected,
    lastCandleAgeSeconds: age === null ? null : Math.round(age),
    openTrades: rt.session.openTradeCount,
    queueLength: rt.opts.store?.queueLength() ?? 0,
    pendingApprovals: rt.pendingApprovalCount(),
    uptimeSeconds: Math.round((now - rt.startedAt) / 1000),
    ...(stale ? { problem: startupProblem ?? (age === null ? 'no market data yet' : `last candle ${Math.round(age)} s ago (limit ${limit} s)`) } : {}),
  };
}

/** Waiting for another process's trading lease: healthy (so a rolling deploy can finish), not trading. */
export function standbyHealth(problem: string, mode: string): HealthState {
  return { status: 'standby', mode, execution: '', paused: true, exchangeConnected: false, lastCandleAgeSeconds: null, openTrades: 0, queueLength: 0, pendingApprovals: 0, uptimeSeconds: 0, problem };
}

export function startHealthServer(port: number, state: () => HealthState): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/health' || req.url?.startsWith('/health?'))) {
      const s = state();
      res.writeHead(s.status === 'ok' || s.status === 'standby' ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(s));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"not found"}');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}
