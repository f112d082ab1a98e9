// The coin universe: the configured coins plus, with TOP_COINS_BY_VOLUME=N, the N USDT perpetuals
// with the highest 24h turnover that pass min_volume_usd. Refreshed once a day (00:05 UTC): new
// coins are warmed up and streamed with their (default) coin config; a coin that leaves the top N
// is no longer scanned for new entries, while its open trade is still managed — it stays streamed
// until restart and is scanned again if it comes back.
import type { CoinConfig } from '../../engine/params.js';
import type { ExchangePort, Ticker } from '../exchange/port.js';
import type { Logger } from '../log.js';
import type { Runtime } from './runtime.js';

/** A venue that can add kline streams to a running subscription (Bybit, paper). */
export interface SymbolStreamer {
  addSymbols(symbols: string[]): Promise<void>;
}

/** Bybit names its USDT-margined perpetuals BASEUSDT; USDC perps (BTCPERP) and dated futures (BTCUSDT-26DEC25) differ. */
const USDT_PERPETUAL = /^[A-Z0-9]{2,20}USDT$/;

/**
 * Configured coins (always, in their order) followed by the top `n` tradable USDT perpetuals by
 * 24h turnover whose turnover reaches their min_volume_usd, highest first, without duplicates.
 * `tradable` (symbols the exchange lists as Trading) leaves out pre-launch, settling and delisted
 * contracts; without it only the name and the ticker decide.
 */
export function selectUniverse(
  configured: readonly string[],
  tickers: readonly Ticker[],
  n: number,
  minVolumeUsd: number | ((symbol: string) => number),
  tradable?: ReadonlySet<string>,
): string[] {
  const minFor = typeof minVolumeUsd === 'function' ? minVolumeUsd : () => minVolumeUsd;
  const seen = new Set<string>();
  const eligible = tickers
    .filter((t) => {
      if (seen.has(t.symbol)) return false;
      seen.add(t.symbol);
      return USDT_PERPETUAL.test(t.symbol)
        && (!tradable || tradable.has(t.symbol))
        && t.lastPrice > 0 // a delisted contract has no price
        && Number.isFinite(t.turnover24h) && t.turnover24h >= minFor(t.symbol);
    })
    .sort((a, b) => b.turnover24h - a.turnover24h || (a.symbol < b.symbol ? -1 : 1));
  const out = [...new Set(configured)];
  for (const t of eligible.slice(0, Math.max(0, Math.floor(n)))) if (!out.includes(t.symbol)) out.push(t.symbol);
  return out;
}

/** Milliseconds from `now` to the next hh:mm UTC (strictly later). */
export function msUntilNextUtc(now: number, hour = 0, minute = 5): number {
  const d = new Date(now);
  let next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hour, minute);
  if (next <= now) next += 86_400_000;
  return next - now;
}

export interface UniverseChange {
  /** Configured ∪ top N of this refresh. */
  universe: string[];
  /** Newly streamed coins (new top-N coins, and coins of open trades that were not streamed). */
  added: string[];
  /** Streamed coins that left the top N: no new entries. */
  dropped: string[];
  /** Coins back in the top N: scanned again. */
  resumed: string[];
}

export interface CoinUniverseOptions {
  runtime: Runtime;
  configured: string[];
  topN: number;
  /** The config a coin trades with (overrides, the briefing's table, else the default); its min_volume_usd filters. */
  coinFor: (symbol: string) => CoinConfig;
  logger: Logger;
  clock?: () => number;
  /** After a failed refresh, try again this much later (unless the daily run comes first). */
  retryMs?: number;
}

export class CoinUniverse {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<UniverseChange> | null = null;
  private stopped = false;
  private readonly clock: () => number;

  constructor(private readonly o: CoinUniverseOptions) {
    if (!(Number.isInteger(o.topN) && o.topN > 0)) throw new Error(`TOP_COINS_BY_VOLUME must be a positive whole number, got ${o.topN}`);
    this.clock = o.clock ?? Date.now;
  }

  /** Refreshes now (in the background), then every day at 00:05 UTC; failures retry sooner. */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One refresh; concurrent calls share it. */
  refresh(): Promise<UniverseChange> {
    this.running ??= this.apply().finally(() => { this.running = null; });
    return this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    let next = msUntilNextUtc(this.clock());
    try {
      await this.refresh();
    } catch (err) {
      next = Math.min(next, this.o.retryMs ?? 15 * 60_000);
      this.o.logger.error({ err: (err as Error).message, retryInMinutes: Math.round(next / 60_000) }, 'coin universe refresh failed; keeping the current coins');
    }
    this.schedule(next);
  }

  private async apply(): Promise<UniverseChange> {
    const { runtime: rt, logger } = this.o;
    const ex: ExchangePort = rt.opts.exchange;
    const [tickers, instruments] = await Promise.all([ex.tickers(), ex.instruments()]);
    // A venue that answers without turnover (paper falling back to its last candles) must not empty the universe.
    if (!tickers.some((t) => t.turnover24h > 0)) throw new Error('the tickers answer carries no 24h turnover');
    const tradable = new Set(instruments.map((i) => i.symbol));
    const universe = selectUniverse(this.o.configured, tickers, this.o.topN, (s) => this.o.coinFor(s).min_volume_usd, tradable);
    const wanted = new Set(universe);
    const turnover = new Map(tickers.map((t) => [t.symbol, t.turnover24h]));
    const session = rt.session;
    const streamed = new Set(rt.opts.symbols);
    const open = new Set(session.openTrades().keys());

    const dropped = [...streamed].filter((s) => !wanted.has(s) && session.isScanning(s));
    for (const s of dropped) {
      session.setScanning(s, false);
      logger.info({ symbol: s, turnover24h: turnover.get(s) ?? null, openTrade: open.has(s) }, 'coin universe: left the top coins; no new entries (an open trade is still managed)');
    }
    const resumed = universe.filter((s) => streamed.has(s) && !session.isScanning(s));
    for (const s of resumed) {
      session.setScanning(s, true);
      logger.info({ symbol: s, turnover24h: turnover.get(s) ?? null }, 'coin universe: back in the top coins; scanned for entries again');
    }
    const fresh = universe.filter((s) => !streamed.has(s));
    // An open trade on a coin outside the universe (adopted at start-up) is streamed so it is managed, never scanned.
    const orphans = [...open].filter((s) => !streamed.has(s) && !wanted.has(s));
    for (const s of orphans) session.setScanning(s, false);
    const toAdd = [...fresh, ...orphans];
    let added: string[] = [];
    if (toAdd.length) {
      added = await rt.addSymbols(toAdd, Object.fromEntries(toAdd.map((s) => [s, this.o.coinFor(s)])));
      for (const s of added) {
        logger.info({ symbol: s, turnover24h: turnover.get(s) ?? null, scanned: session.isScanning(s) }, orphans.includes(s)
          ? 'coin universe: streaming a coin with an open trade (managed, not scanned)'
          : 'coin universe: added a top coin by 24h turnover');
      }
    }
    logger.info({ universe, streamed: rt.opts.symbols.length, added: added.length, dropped: dropped.length, resumed: resumed.length }, 'coin universe refreshed');
    return { universe, added, dropped, resumed };
  }
}
