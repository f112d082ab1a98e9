// What chat commands may ask of the running bot. The runtime implements it; the handlers in this
// folder and the transports in bot/ only ever see this interface.
import type { Direction, ExitReason, Signal } from '../engine/types.js';

export type ExecutionMode = 'auto' | 'approve';

export interface OpenPositionView {
  tradeId: string;
  symbol: string;
  direction: Direction;
  entryPrice: number;
  markPrice: number;
  qty: number;
  leverage: number;
  stopLoss: number;
  takeProfit: number;
  unrealisedPnl: number;
  /** Unlevered move in % of entry, signed in the trade's favour. */
  movePercent: number;
  openedAt: number;
  breakEven: boolean;
  trailing: boolean;
}

export interface StatusView {
  tradingMode: string;
  executionMode: ExecutionMode;
  paused: boolean;
  dailyLossLocked: boolean;
  exchangeConnected: boolean;
  lastCandleAgeSeconds: number | null;
  equity: number;
  openTrades: number;
  maxTrades: number;
  symbols: string[];
  model: { loaded: boolean; version: string | null };
  queueLength: number;
  pendingApprovals: number;
  startedAt: number;
}

export interface StatsView {
  period: 'day' | 'week' | 'month';
  from: Date;
  to: Date;
  trades: number;
  wins: number;
  losses: number;
  winRate: number | null;
  pnlUsd: number;
  bestTrade: { symbol: string; pnlUsd: number } | null;
  worstTrade: { symbol: string; pnlUsd: number } | null;
  signalsGenerated: number;
  signalsExecuted: number;
}

export type ApprovalOutcome =
  | { kind: 'executed'; price: number; qty: number }
  | { kind: 'refused'; reason: 'price_moved' | 'no_slot' | 'paused' | 'position_open' | 'insufficient_margin' | 'error'; detail?: string }
  | { kind: 'rejected' }
  | { kind: 'expired' }
  | { kind: 'already_decided'; status: string };

export interface CloseResult {
  symbol: string;
  closed: boolean;
  exitPrice?: number;
  pnlUsd?: number;
  reason?: ExitReason;
  error?: string;
}

export interface BotControl {
  status(): Promise<StatusView>;
  positions(): Promise<OpenPositionView[]>;
  close(symbol: string, by: string): Promise<CloseResult>;
  closeAll(by: string): Promise<CloseResult[]>;
  pause(by: string): Promise<void>;
  resume(by: string): Promise<void>;
  setMode(mode: ExecutionMode, by: string): Promise<void>;
  stats(period: 'day' | 'week' | 'month'): Promise<StatsView>;
  /** Decides a pending approval; only the first decision counts, from any platform. */
  approve(approvalId: string, by: string): Promise<ApprovalOutcome>;
  reject(approvalId: string, by: string): Promise<ApprovalOutcome>;
}

/** Pushed by the runtime to every transport (and the console). */
export type BotEvent =
  | { type: 'signal'; signal: Signal; approval: { id: string; expiresAt: number } | null; sizeQty: number; riskUsd: number; modelLoaded: boolean }
  | { type: 'approval_decided'; approvalId: string; outcome: ApprovalOutcome; by: string | null }
  | { type: 'trade_opened'; tradeId: string; symbol: string; direction: Direction; price: number; qty: number; leverage: number; stopLoss: number; takeProfit: number }
  | { type: 'stop_moved'; tradeId: string; symbol: string; direction: Direction; stopLoss: number; reason: 'break_even' | 'trailing' }
  | { type: 'trade_closed'; tradeId: string; symbol: string; direction: Direction; exitPrice: number; pnlUsd: number; pnlPercent: number; reason: ExitReason }
  | { type: 'daily_report'; stats: StatsView }
  | { type: 'error'; message: string };
