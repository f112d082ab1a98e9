// Messages are read on phones: monospace tables do not wrap, so every table line must fit 40
// characters even with large prices and PnL, and numbers must line up on their right edge.
import { describe, expect, it } from 'vitest';
import { signalAlert, statsReply, eventMessage } from '../../handlers/alerts.js';
import { closeReply, positionsReply, statusReply } from '../../handlers/views.js';
import { tableLines, type Reply } from '../../handlers/reply.js';
import { FakeControl, position, sampleSignal, signalEvent } from './fake-control.js';

const WIDTH = 40;

function tables(r: Reply): string[][] {
  return r.blocks.filter((b) => b.kind === 'table').map((b) => (b.kind === 'table' ? tableLines(b.rows, b.align) : []));
}

function expectPhoneWidth(r: Reply): void {
  for (const lines of tables(r)) for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(WIDTH);
  for (const b of r.blocks) if (b.kind === 'title') expect([...b.text].length, b.text).toBeLessThanOrEqual(WIDTH);
}

/** The right edge of a right-aligned column is the same on every line of the table. */
function rightEdges(lines: string[], cell: (line: string) => string | undefined): Set<number> {
  const edges = new Set<number>();
  for (const l of lines) {
    const c = cell(l);
    if (c) edges.add([...l.slice(0, l.indexOf(c) + c.length)].length);
  }
  return edges;
}

describe('phone width', () => {
  const big = sampleSignal({ symbol: 'BTCUSDT', price: 109_876.5, targets: { ...sampleSignal().targets, takeProfit: 112_345.75, stopLoss: 108_123.25, leverage: 30 } });

  it('alerts: sized, unsized and rebuilt after a restart fit, with prices and % aligned', () => {
    const sized = signalAlert({ ...signalEvent('4f0c6a3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f', 120_000, big), sizeQty: 1.2345, riskUsd: 12_345.67 }, 0);
    const unsized = signalAlert({ ...signalEvent('A', 120_000, big), sizeQty: 0, riskUsd: 250 }, 0);
    const restored = signalAlert({ ...signalEvent('A', 120_000, big), sizeQty: 0, riskUsd: Number.NaN }, 0);
    for (const r of [sized, unsized, restored]) expectPhoneWidth(r);
    const [, main] = tables(sized);
    expect(main).toEqual([
      'Entry   109,876.50',
      'TP      112,345.75       +2.25%',
      'SL      108,123.25       -1.60%',
      'Lev            30x',
      'Size    1.2345 BTC  $135,642.54',
      'Margin   $4,521.42',
      'Risk    $12,345.67',
    ]);
    expect(tables(restored)[1].join('\n')).not.toMatch(/Risk/);
    expect(tables(unsized)[1].join('\n')).toMatch(/Risk\s+\$250.00/);
  });

  it('/positions, /close, /stats, /status and fills fit and align their numbers', async () => {
    const ps = [
      { ...position('BTCUSDT', 12_345.67), entryPrice: 109_876.5, markPrice: 110_000.25, stopLoss: 109_900, trailing: true, breakEven: true },
      { ...position('DOGEUSDT', -3.2), entryPrice: 0.123456, markPrice: 0.12, stopLoss: 0.125, direction: 'short' as const },
    ];
    const pos = positionsReply(ps);
    expectPhoneWidth(pos);
    const [summary, prices] = tables(pos);
    expect(rightEdges(summary.slice(1), (l) => /[+-]\$[\d,.]+/.exec(l)?.[0]).size).toBe(1);
    expect(rightEdges(prices.slice(1), (l) => / ([\d,.]+) /.exec(l)?.[1]).size).toBe(1);

    const closed = closeReply([
      { symbol: 'BTCUSDT', closed: true, exitPrice: 109_876.5, pnlUsd: -12_345.67, reason: 'manual' },
      { symbol: 'DOGEUSDT', closed: false, error: 'exchange said: reduce-only order would increase the position (110017)' },
    ]);
    expectPhoneWidth(closed);

    const c = new FakeControl();
    const stats = statsReply({ ...c.statsView, trades: 1234, wins: 700, losses: 534, pnlUsd: -123_456.78, bestTrade: { symbol: 'AVAXUSDT', pnlUsd: 12_345.67 }, worstTrade: { symbol: 'DOGEUSDT', pnlUsd: -23_456.78 }, signalsGenerated: 12_345, signalsExecuted: 1234 }, '📅 Daily report');
    expectPhoneWidth(stats);
    const lines = tables(stats)[0];
    expect(new Set(lines.map((l) => [...l].length)).size).toBe(1); // every value ends in the same column
    expect(lines.at(-2)).toMatch(/^Signals\s+12345$/);

    expectPhoneWidth(statusReply({ ...(await c.status()), equity: 1_234_567.89 }, Date.now()));
    expectPhoneWidth(eventMessage({ type: 'trade_opened', tradeId: 'T', symbol: 'BTCUSDT', direction: 'long', price: 109_876.5, qty: 1.2345, leverage: 30, stopLoss: 108_123.25, takeProfit: 112_345.75 }, 0)!);
  });
});

describe('Telegram spacing', () => {
  it('spaces messages to a group for its 20-a-minute limit, to a private chat at 1 per second', async () => {
    const { telegramGapMs } = await import('../../bot/telegram.js');
    expect(telegramGapMs('-1001234567890')).toBe(3_000);
    expect(telegramGapMs('123456789')).toBe(1_000);
  });
});
