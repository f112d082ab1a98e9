// An OrderJournal kept in memory, with a switch that makes it fail like an unreachable store.
import type { OrderJournal } from '../../src/exchange/order-executor.js';
import type { OrderRecord } from '../../src/storage/store.js';

export class MemoryJournal implements OrderJournal {
  readonly rows = new Map<string, OrderRecord>();
  /** Every status written, in order (tests check an order never passed through a failed state). */
  readonly history: { orderLinkId: string; status: OrderRecord['status'] }[] = [];
  down = false;

  async saveIntent(rec: OrderRecord): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    if (this.rows.has(rec.order_link_id)) throw new Error(`duplicate order_link_id ${rec.order_link_id}`);
    this.rows.set(rec.order_link_id, { ...rec });
    this.history.push({ orderLinkId: rec.order_link_id, status: rec.status });
  }

  async update(rec: OrderRecord): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    this.rows.set(rec.order_link_id, { ...rec });
    this.history.push({ orderLinkId: rec.order_link_id, status: rec.status });
  }

  /** The statuses one order went through, repeats collapsed. */
  statuses(orderLinkId: string): OrderRecord['status'][] {
    const out: OrderRecord['status'][] = [];
    for (const h of this.history) if (h.orderLinkId === orderLinkId && out[out.length - 1] !== h.status) out.push(h.status);
    return out;
  }
}
