// Shared set-up for the exchange tests: a fake Bybit and a real BybitExchange pointed at it.
import { BybitExchange, type BybitExchangeOptions } from '../../src/exchange/bybit/exchange.js';
import type { ExchangeEvent } from '../../src/exchange/port.js';
import { FAKE_KEY, FAKE_SECRET, startFakeBybit, type FakeBybit } from '../fakes/bybit/server.js';

export async function fakeAndAdapter(opts: Partial<BybitExchangeOptions> = {}): Promise<{ fake: FakeBybit; ex: BybitExchange; close: () => Promise<void> }> {
  const fake = await startFakeBybit();
  const ex = adapterFor(fake, opts);
  return { fake, ex, close: async () => { await ex.close(); await fake.close(); } };
}

export function adapterFor(fake: FakeBybit, opts: Partial<BybitExchangeOptions> = {}): BybitExchange {
  return new BybitExchange({
    mode: 'testnet', key: FAKE_KEY, secret: FAKE_SECRET, restUrl: fake.restUrl, wsUrl: fake.wsUrl,
    requestTimeoutMs: 1_000, backoffMs: 20, reconnectDelayMs: 50, ...opts,
  });
}

/** Resolves when `pred` holds, polling every 10 ms; rejects with `what` after `ms`. */
export async function until(pred: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

export function collector(): { events: ExchangeEvent[]; onEvent: (e: ExchangeEvent) => void; of: <T extends ExchangeEvent['type']>(t: T) => Extract<ExchangeEvent, { type: T }>[] } {
  const events: ExchangeEvent[] = [];
  return {
    events,
    onEvent: (e) => { events.push(e); },
    of: (t) => events.filter((e) => e.type === t) as never,
  };
}

/** Minute-aligned timestamps ending before now, so they are all closed candles. */
export function closedMinutes(n: number, now = Date.now()): number[] {
  const last = Math.floor(now / 60_000) * 60_000 - 60_000;
  return Array.from({ length: n }, (_, i) => last - (n - 1 - i) * 60_000);
}
