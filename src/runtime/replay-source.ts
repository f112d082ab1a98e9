// Recorded candles as a live feed: base candles of every symbol in time order, one step (all
// symbols closing at the same time) after another, at N× real speed (0 = as fast as possible).
import { TF_MS, type Timeframe } from '../../engine/timeframe.js';
import type { Candle, CandleSeries } from '../../engine/types.js';
import type { ExchangeEvent, Instrument, Ticker } from '../exchange/port.js';
import type { CandleSource } from './simulated-exchange.js';

export class ReplaySource implements CandleSource {
  private stopped = false;

  constructor(private readonly series: CandleSeries[], private readonly speed: number) {}

  async run(symbols: string[], tf: Timeframe, emit: (e: ExchangeEvent) => Promise<void>): Promise<void> {
    const list = this.series.filter((s) => symbols.includes(s.symbol));
    for (const s of list) {
      if (s.tf !== tf) throw new Error(`replay: ${s.symbol} data is ${s.tf}, the runtime asked for ${tf}`);
    }
    const ms = TF_MS[tf];
    const idx = new Int32Array(list.length);
    let prevT = -Infinity;
    for (;;) {
      if (this.stopped) return;
      let t = Infinity;
      for (let i = 0; i < list.length; i++) if (idx[i] < list[i].length && list[i].ts[idx[i]] < t) t = list[i].ts[idx[i]];
      if (t === Infinity) return;
      if (this.speed > 0 && prevT > -Infinity) await sleep(((t - prevT) / this.speed));
      else if ((t / ms) % 500 === 0) await new Promise((r) => setImmediate(r)); // let timers and HTTP breathe
      prevT = t;
      for (let i = 0; i < list.length; i++) {
        const s = list[i];
        const k = idx[i];
        if (k < s.length && s.ts[k] === t) {
          const candle: Candle = { ts: t, open: s.open[k], high: s.high[k], low: s.low[k], close: s.close[k], volume: s.volume[k] };
          idx[i] = k + 1;
          await emit({ type: 'candle', symbol: s.symbol, tf, candle });
        }
      }
      await emit({ type: 'step_end', time: t + ms });
    }
  }

  async history(): Promise<Candle[]> {
    return []; // replay warms up on the recorded candles themselves, exactly like the backtest
  }

  async instruments(symbols?: string[]): Promise<Instrument[]> {
    return (symbols ?? this.series.map((s) => s.symbol)).map((symbol) => ({
      symbol, tickSize: 0, qtyStep: 0, minQty: 0, maxQty: Infinity, minNotional: 0, maxLeverage: Infinity,
    }));
  }

  async tickers(): Promise<Ticker[]> {
    return [];
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
