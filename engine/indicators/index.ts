// Incremental indicators: O(1) per candle, no allocation per update; `.value` is NaN until ready.
export { Ema } from './ema.js';
export { Rsi } from './rsi.js';
export { Atr } from './atr.js';
export { Sma } from './sma.js';
