// In-memory BotControl for chat tests: counts every call, keeps pause/mode state, and decides
// approvals first-decision-wins like the runtime does (later taps get already_decided/expired).
import type { ApprovalOutcome, BotControl, CloseResult, ExecutionMode, OpenPositionView, StatsView, StatusView } from '../../handlers/control.js';
import type { BotEvent } from '../../handlers/control.js';
import type { Signal } from '../../engine/types.js';

interface Approval {
  status: 'pending' | 'executed' | 'rejected' | 'expired';
  expiresAt: number;
  price: number;
  qty: number;
}

export class FakeControl implements BotControl {
  readonly calls: { method: string; args: unknown[] }[] = [];
  paused = false;
  mode: ExecutionMode = 'approve';
  /** Trades actually opened by approvals. */
  executions = 0;
  openPositions: OpenPositionView[] = [];
  readonly approvals = new Map<string, Approval>();
  /** Method names whose next call throws. */
  failNext = new Set<string>();
  statsView: StatsView;
  now: () => number = () => Date.now();
  /** When set, approve() waits for it (a slow entry order). */
  approveGate: Promise<void> | null = null;

  constructor() {
    this.statsView = {
      period: 'day',
      from: new Date('2026-11-23T00:00:00Z'),
      to: new Date('2026-11-24T00:00:00Z'),
      trades: 7,
      wins: 5,
      losses: 2,
      winRate: (5 / 7) * 100,
      pnlUsd: 182.37,
      bestTrade: { symbol: 'SOLUSDT', pnlUsd: 96.4 },
      worstTrade: { symbol: 'DOGEUSDT', pnlUsd: -41.25 },
      signalsGenerated: 19,
      signalsExecuted: 7,
    };
  }

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    if (this.failNext.delete(method)) throw new Error(`${method} blew up (test)`);
  }

  addApproval(id: string, expiresAt: number, price = 64250, qty = 0.015): void {
    this.approvals.set(id, { status: 'pending', expiresAt, price, qty });
  }

  async status(): Promise<StatusView> {
    this.record('status');
    return {
      tradingMode: 'paper',
      executionMode: this.mode,
      paused: this.paused,
      dailyLossLocked: false,
      exchangeConnected: true,
      lastCandleAgeSeconds: 12,
      equity: 10_250.5,
      openTrades: this.openPositions.length,
      maxTrades: 3,
      symbols: ['BTCUSDT', 'ETHUSDT'],
      model: { loaded: false, version: null },
      queueLength: 0,
      pendingApprovals: [...this.approvals.values()].filter((a) => a.status === 'pending').length,
      startedAt: this.now() - 3_600_000,
    };
  }

  async positions(): Promise<OpenPositionView[]> {
    this.record('positions');
    return this.openPositions;
  }

  async close(symbol: string, by: string): Promise<CloseResult> {
    this.record('close', symbol, by);
    const p = this.openPositions.find((x) => x.symbol === symbol);
    if (!p) return { symbol, closed: false, error: 'no open position' };
    this.openPositions = this.openPositions.filter((x) => x !== p);
    return { symbol, closed: true, exitPrice: p.markPrice, pnlUsd: p.unrealisedPnl, reason: 'manual' };
  }

  async closeAll(by: string): Promise<CloseResult[]> {
    this.record('closeAll', by);
    const out = this.openPositions.map((p) => ({ symbol: p.symbol, closed: true, exitPrice: p.markPrice, pnlUsd: p.unrealisedPnl, reason: 'manual' as const }));
    this.openPositions = [];
    return out;
  }

  async pause(by: string): Promise<void> {
    this.record('pause', by);
    this.paused = true;
  }

  async resume(by: string): Promise<void> {
    this.record('resume', by);
    this.paused = false;
  }

  async setMode(mode: ExecutionMode, by: string): Promise<void> {
    this.record('setMode', mode, by);
    this.mode = mode;
  }

  async stats(period: 'day' | 'week' | 'month'): Promise<StatsView> {
    this.record('stats', period);
    return { ...this.statsView, period };
  }

  async approve(approvalId: string, by: string): Promise<ApprovalOutcome> {
    this.record('approve', approvalId, by);
    if (this.approveGate) await this.approveGate;
    return this.decide(approvalId, 'executed');
  }

  async reject(approvalId: string, by: string): Promise<ApprovalOutcome> {
    this.record('reject', approvalId, by);
    return this.decide(approvalId, 'rejected');
  }

  private decide(id: string, to: 'executed' | 'rejected'): ApprovalOutcome {
    const a = this.approvals.get(id);
    if (!a) return { kind: 'already_decided', status: 'unknown' };
    if (a.status !== 'pending') return { kind: 'already_decided', status: a.status };
    if (this.now() >= a.expiresAt) {
      a.status = 'expired';
      return { kind: 'expired' };
    }
    a.status = to;
    if (to === 'rejected') return { kind: 'rejected' };
    this.executions++;
    return { kind: 'executed', price: a.price, qty: a.qty };
  }
}

export function sampleSignal(overrides: Partial<Signal> = {}): Signal {
  return {
    id: 'BTCUSDT-long-1764000000000',
    symbol: 'BTCUSDT',
    direction: 'long',
    time: 1_764_000_000_000,
    price: 64250,
    confidence: 75,
    factors: [
      { factor: 'htf_aligned', points: 25 },
      { factor: 'sweep', points: 20 },
      { factor: 'order_block', points: 20 },
      { factor: 'rsi_extreme', points: 10 },
    ],
    snapshot: {
      htf_bias: 'bullish',
      near_bullish_ob: true,
      near_bearish_ob: false,
      in_bullish_fvg: false,
      in_bearish_fvg: false,
      bullish_sweep: true,
      bearish_sweep: false,
      mtf_rsi: 28,
      market_structure: 'neutral',
    },
    atr: 300,
    targets: { tpDistance: 900, slDistance: 450, takeProfit: 65150, stopLoss: 63800, leverage: 7 },
    mlProbability: 64,
    ...overrides,
  };
}

export function signalEvent(approvalId: string | null, expiresAt: number, signal = sampleSignal()): Extract<BotEvent, { type: 'signal' }> {
  return { type: 'signal', signal, approval: approvalId ? { id: approvalId, expiresAt } : null, sizeQty: 0.015, riskUsd: 10, modelLoaded: true };
}

export function position(symbol: string, pnl: number): OpenPositionView {
  return {
    tradeId: `T-${symbol}`,
    symbol,
    direction: 'long',
    entryPrice: 100,
    markPrice: 101,
    qty: 2,
    leverage: 5,
    stopLoss: 98,
    takeProfit: 104,
    unrealisedPnl: pnl,
    movePercent: 1,
    openedAt: 0,
    breakEven: false,
    trailing: false,
  };
}
