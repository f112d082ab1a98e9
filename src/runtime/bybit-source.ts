// Paper trading's market data: Bybit's public REST and WebSocket (no keys) as a CandleSource.
import type { Timeframe } from '../../engine/timeframe.js';
import type { Candle } from '../../engine/types.js';
import type { ExchangeEvent, ExchangePort, Instrument, Ticker } from '../exchange/port.js';
import type { CandleSource } from './simulated-exchange.js';
import type { SymbolStreamer } from './universe.js';

export class ExchangeCandleSource implements CandleSource {
  constructor(private readonly exchange: ExchangePort) {}

  async run(symbols: string[], tf: Timeframe, emit: (e: ExchangeEvent) => Promise<void>): Promise<void> {
    await this.exchange.subscribe(symbols, tf, (e) => (e.type === 'candle' || e.type === 'connection' ? emit(e) : undefined));
  }

  history(symbol: string, tf: Timeframe, from: number, to: number): Promise<Candle[]> {
    return this.exchange.klines(symbol, tf, from, to);
  }

  instruments(symbols?: string[]): Promise<Instrument[]> {
    return this.exchange.instruments(symbols);
  }

  tickers(symbols?: string[]): Promise<Ticker[]> {
    return this.exchange.tickers(symbols);
  }

  /** Coin universe: more symbols on the running stream. */
  addSymbols(symbols: string[]): Promise<void> {
    const ex = this.exchange as ExchangePort & Partial<SymbolStreamer>;
    if (typeof ex.addSymbols !== 'function') return Promise.reject(new Error(`the ${ex.name} venue cannot add symbols while streaming`));
    return ex.addSymbols(symbols);
  }

  stop(): Promise<void> {
    return this.exchange.close();
  }
}
