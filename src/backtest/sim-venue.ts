// Executes the session's commands on the simulated broker (backtest and paper share this mapping).
import type { SimBroker } from '../../engine/sim-broker.js';
import type { SessionCommand } from '../../engine/session.js';

export function applyCommand(broker: SimBroker, cmd: SessionCommand, now: number): void {
  switch (cmd.type) {
    case 'place_entry':
      broker.place({
        id: cmd.orderId, symbol: cmd.symbol, kind: cmd.orderType === 'limit' ? 'limit_entry' : 'market_entry',
        direction: cmd.direction, qty: cmd.qty, price: cmd.price, takeProfit: cmd.takeProfit, stopLoss: cmd.stopLoss,
        placedAt: now,
      });
      return;
    case 'cancel_entry':
      broker.cancel(cmd.orderId);
      return;
    case 'move_stop':
      if (broker.position(cmd.symbol)) broker.setTradingStop(cmd.symbol, cmd.stopLoss);
      return;
    case 'close_position': {
      const p = broker.position(cmd.symbol);
      if (p) broker.place({ id: cmd.orderId, symbol: cmd.symbol, kind: 'market_close', direction: p.direction, qty: p.size, price: 0, placedAt: now });
      return;
    }
  }
}
