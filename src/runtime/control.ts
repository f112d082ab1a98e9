// BotControl for chat commands, backed by the runtime: every command goes through the same
// session and store the trading uses, so chat can never see or change a different state.
import type {
  ApprovalOutcome, BotControl, CloseResult, ExecutionMode, OpenPositionView, StatsView, StatusView,
} from '../../handlers/control.js';
import type { Runtime } from './runtime.js';

const DAY = 86_400_000;

export class RuntimeControl implements BotControl {
  constructor(private readonly rt: Runtime) {}

  async status(): Promise<StatusView> {
    const rt = this.rt;
    const now = Date.now();
    return {
      tradingMode: rt.opts.tradingMode,
      executionMode: rt.executionMode,
      paused: rt.session.paused,
      dailyLossLocked: rt.session.dailyLossLocked,
      exchangeConnected: rt.connected,
      lastCandleAgeSeconds: rt.lastCandleAt === null ? null : Math.round((now - rt.lastCandleAt) / 1000),
      equity: rt.session.equity,
      openTrades: rt.session.openTradeCount,
      maxTrades: rt.opts.params.max_concurrent_trades,
      symbols: rt.opts.symbols,
      model: { loaded: Boolean(rt.opts.mlScore), version: rt.opts.modelVersion ?? null },
      queueLength: rt.opts.store?.queueLength() ?? 0,
      pendingApprovals: rt.pendingApprovalCount(),
      startedAt: rt.startedAt,
    };
  }

  async positions(): Promise<OpenPositionView[]> {
    const out: OpenPositionView[] = [];
    for (const t of this.rt.session.openTrades().values()) {
      // What is still open: a part the trader closed by hand on the exchange is already realised.
      const open = t.qty - t.exitQty;
      if (open <= 1e-12) continue;
      const entry = t.entryCost / t.qty;
      const mark = this.rt.lastPrice.get(t.symbol) ?? entry;
      const sign = t.direction === 'long' ? 1 : -1;
      out.push({
        tradeId: t.id, symbol: t.symbol, direction: t.direction, entryPrice: entry, markPrice: mark, qty: open,
        leverage: t.leverage, stopLoss: t.manager?.stop ?? t.signal.targets.stopLoss, takeProfit: t.signal.targets.takeProfit,
        unrealisedPnl: sign * (mark - entry) * open, movePercent: (sign * (mark - entry) / entry) * 100, openedAt: t.entryTime,
        breakEven: t.manager ? t.manager.phase !== 'initial' : false, trailing: t.manager?.phase === 'trailing',
      });
    }
    return out;
  }

  async close(symbol: string, by: string): Promise<CloseResult> {
    const sym = symbol.toUpperCase();
    const rt = this.rt;
    if (!rt.session.openTrades().has(sym)) return { symbol: sym, closed: false, error: `no open position on ${sym}` };
    rt.log.info({ symbol: sym, by }, 'manual close requested');
    await rt.runExclusive(async () => {
      rt.session.requestClose(sym, 'manual');
      await rt.processDrained();
    });
    return { symbol: sym, closed: true, reason: 'manual' };
  }

  async closeAll(by: string): Promise<CloseResult[]> {
    const symbols = [...this.rt.session.openTrades().keys()];
    const out: CloseResult[] = [];
    for (const s of symbols) out.push(await this.close(s, by));
    return out;
  }

  async pause(by: string): Promise<void> {
    this.rt.session.paused = true;
    this.rt.log.info({ by }, 'paused: no new entries');
    await this.saveState();
  }

  async resume(by: string): Promise<void> {
    this.rt.session.paused = false;
    this.rt.log.info({ by }, 'resumed');
    await this.saveState();
  }

  async setMode(mode: ExecutionMode, by: string): Promise<void> {
    this.rt.executionMode = mode;
    this.rt.log.info({ by, mode }, 'execution mode changed');
    await this.saveState();
  }

  async stats(period: 'day' | 'week' | 'month'): Promise<StatsView> {
    const to = new Date();
    const days = period === 'day' ? 1 : period === 'week' ? 7 : 30;
    const from = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), to.getUTCDate()) - (days - 1) * DAY);
    return this.statsBetween(period, from, to);
  }

  async statsBetween(period: StatsView['period'], from: Date, to: Date): Promise<StatsView> {
    const store = this.rt.opts.store;
    const empty: StatsView = { period, from, to, trades: 0, wins: 0, losses: 0, winRate: null, pnlUsd: 0, bestTrade: null, worstTrade: null, signalsGenerated: 0, signalsExecuted: 0 };
    if (!store) return empty;
    const iso = (d: Date) => d.toISOString().slice(0, 10);
    const rows = await store.dailyStats(iso(from), iso(to), this.rt.opts.tradingMode);
    const trades = (await store.tradesBetween(from, new Date(to.getTime() + 1), this.rt.opts.tradingMode)).filter((t) => t.exit_time !== null);
    let best: StatsView['bestTrade'] = null;
    let worst: StatsView['worstTrade'] = null;
    for (const t of trades) {
      const p = t.pnl_usd ?? 0;
      if (!best || p > best.pnlUsd) best = { symbol: t.symbol, pnlUsd: p };
      if (!worst || p < worst.pnlUsd) worst = { symbol: t.symbol, pnlUsd: p };
    }
    const sum = (k: string) => rows.reduce((a, r) => a + Number((r as unknown as Record<string, unknown>)[k] ?? 0), 0);
    const n = sum('total_trades');
    const wins = sum('winning_trades');
    return {
      period, from, to, trades: n, wins, losses: sum('losing_trades'), winRate: n ? Math.round((wins / n) * 10000) / 100 : null,
      pnlUsd: sum('total_pnl_usd'), bestTrade: best, worstTrade: worst,
      signalsGenerated: sum('signals_generated'), signalsExecuted: sum('signals_executed'),
    };
  }

  async approve(approvalId: string, by: string): Promise<ApprovalOutcome> {
    const rt = this.rt;
    const a = rt.approval(approvalId);
    if (!a) return { kind: 'already_decided', status: 'unknown' };
    if (a.record.status !== 'pending') return { kind: 'already_decided', status: a.record.status };
    if (a.record.expires_at.getTime() <= Date.now()) {
      await rt.decide(approvalId, 'expired', 'system');
      return { kind: 'expired' };
    }
    if (!(await rt.decide(approvalId, 'approved', by))) return { kind: 'already_decided', status: rt.approval(approvalId)?.record.status ?? 'decided' };
    const outcome = await rt.runExclusive(async (): Promise<ApprovalOutcome> => {
      const price = rt.lastPrice.get(a.signal.symbol) ?? a.signal.price;
      const r = await rt.executeSignal(a.signal, price);
      const trade = rt.session.openTrades().get(a.signal.symbol);
      if (r.ok && trade?.id === r.tradeId) return { kind: 'executed', price, qty: trade.targetQty };
      // Accepted by the session, but the exchange did not take the order (the error alert says why).
      if (r.ok) return { kind: 'refused', reason: 'error', detail: 'the exchange did not take the entry order' };
      const reason = r.fate === 'paused' || r.fate === 'daily_loss_limit' ? 'paused'
        : r.fate === 'max_positions' ? 'no_slot' : r.fate === 'position_open' ? 'position_open'
        : r.fate === 'insufficient_margin' ? 'insufficient_margin' : r.fate === 'entry_missed' ? 'price_moved' : 'error';
      return { kind: 'refused', reason, detail: r.detail };
    });
    // Re-read first: the chat side stored the alert's message ids in this row meanwhile.
    const stored = await rt.opts.store?.getApproval(approvalId).catch(() => null);
    await rt.opts.store?.upsertApproval({ ...(stored ?? a.record), status: outcome.kind === 'executed' ? 'executed' : 'refused', decided_by: by, updated_at: new Date() });
    await rt.opts.publisher.publish({ type: 'approval_decided', approvalId, outcome, by });
    return outcome;
  }

  async reject(approvalId: string, by: string): Promise<ApprovalOutcome> {
    const rt = this.rt;
    const a = rt.approval(approvalId);
    if (!a) return { kind: 'already_decided', status: 'unknown' };
    if (!(await rt.decide(approvalId, 'rejected', by))) return { kind: 'already_decided', status: a.record.status };
    await rt.recordSignalFate(a.signal, 'rejected_by_user');
    const outcome: ApprovalOutcome = { kind: 'rejected' };
    await rt.opts.publisher.publish({ type: 'approval_decided', approvalId, outcome, by });
    return outcome;
  }

  private async saveState(): Promise<void> {
    const rt = this.rt;
    await rt.opts.store?.setBotState({
      mode: rt.executionMode, paused: rt.session.paused,
      daily_loss_lock: rt.session.dailyLossLocked ? new Date().toISOString().slice(0, 10) : null, updated_at: new Date(),
    });
  }
}
