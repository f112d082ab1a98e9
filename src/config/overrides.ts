// `--set key=value` and config files: overrides of engine parameters and coin configs, each
// checked against the type of its default so a typo or a bad value is one clear line.
import { readFileSync } from 'node:fs';
import { DEFAULT_PARAMS, coinConfig, type CoinConfig, type EngineParams } from '../../engine/params.js';
import { isTimeframe, TIMEFRAMES } from '../../engine/timeframe.js';

export class ConfigError extends Error {
  readonly userFacing = true;
}

export interface RunConfig {
  params: EngineParams;
  /** Explicit per-coin configs (merged over the briefing's table). */
  coins: Record<string, CoinConfig>;
}

const COIN_KEYS: (keyof CoinConfig)[] = [
  'min_confidence', 'max_leverage', 'atr_multiplier_tp', 'atr_multiplier_sl', 'htf_timeframe',
  'mtf_timeframe', 'ltf_timeframe', 'max_trade_duration_minutes', 'min_volume_usd', 'name', 'category',
];

function coerce(key: string, raw: unknown, example: unknown): unknown {
  if (typeof example === 'number') {
    const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
    if (typeof raw === 'string' && raw.trim() === '') throw new ConfigError(`${key}: empty value (expected a number)`);
    if (!Number.isFinite(n)) throw new ConfigError(`${key}: "${String(raw)}" is not a number`);
    if (n < 0) throw new ConfigError(`${key}: ${n} must not be negative`);
    return n;
  }
  if (typeof example === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    const s = String(raw).toLowerCase();
    if (s === 'true' || s === '1' || s === 'yes') return true;
    if (s === 'false' || s === '0' || s === 'no') return false;
    throw new ConfigError(`${key}: "${String(raw)}" is not a boolean (true or false)`);
  }
  return String(raw);
}

/** Applies one `key=value`; keys: engine params, `weights.<w>`, or `<SYMBOL>.<coin key>`. */
export function applySet(cfg: RunConfig, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new ConfigError(`--set "${assignment}": expected key=value`);
  const key = assignment.slice(0, eq).trim();
  const value = assignment.slice(eq + 1).trim();
  applyValue(cfg, key, value);
}

function applyValue(cfg: RunConfig, key: string, value: unknown): void {
  const params = cfg.params as unknown as Record<string, unknown>;
  if (key.startsWith('weights.')) {
    const w = key.slice(8);
    if (!(w in DEFAULT_PARAMS.weights)) {
      throw new ConfigError(`${key}: unknown weight (allowed: ${Object.keys(DEFAULT_PARAMS.weights).join(', ')})`);
    }
    cfg.params.weights = { ...cfg.params.weights, [w]: coerce(key, value, 0) as number };
    return;
  }
  if (key in DEFAULT_PARAMS && key !== 'weights') {
    params[key] = coerce(key, value, (DEFAULT_PARAMS as unknown as Record<string, unknown>)[key]);
    validateParam(key, params[key]);
    return;
  }
  const dot = key.indexOf('.');
  if (dot > 0) {
    const symbol = key.slice(0, dot).toUpperCase();
    const field = key.slice(dot + 1) as keyof CoinConfig;
    if (!COIN_KEYS.includes(field)) {
      throw new ConfigError(`${key}: unknown coin setting "${field}" (allowed: ${COIN_KEYS.join(', ')})`);
    }
    const coin = { ...(cfg.coins[symbol] ?? coinConfig(symbol)) } as unknown as Record<string, unknown>;
    const example = (coinConfig(symbol) as unknown as Record<string, unknown>)[field];
    const v = coerce(key, value, example);
    if (field.endsWith('_timeframe') && !isTimeframe(String(v))) {
      throw new ConfigError(`${key}: "${String(v)}" is not a timeframe (allowed: ${TIMEFRAMES.join(', ')})`);
    }
    coin[field] = v;
    cfg.coins[symbol] = coin as unknown as CoinConfig;
    return;
  }
  throw new ConfigError(
    `unknown setting "${key}" (engine parameters: ${Object.keys(DEFAULT_PARAMS).join(', ')}; or weights.<name>, or <SYMBOL>.<coin setting>)`,
  );
}

function validateParam(key: string, v: unknown): void {
  const intKeys = ['swing_length', 'ob_lookback', 'sweep_valid_bars', 'atr_period', 'rsi_period', 'ema_fast',
    'ema_slow', 'volume_sma_period', 'max_concurrent_trades', 'correlation_bars'];
  if (intKeys.includes(key) && (!Number.isInteger(v) || (v as number) < 1)) {
    throw new ConfigError(`${key}: ${String(v)} must be a whole number ≥ 1`);
  }
  if (key === 'max_correlation' && ((v as number) > 1)) throw new ConfigError(`${key}: ${String(v)} must be between 0 and 1`);
  if (key === 'initial_equity' && (v as number) <= 0) throw new ConfigError(`${key}: must be > 0`);
}

/** Reads a JSON config file: `{ "params": {...}, "coins": { "BTCUSDT": {...} } }`. */
export function applyConfigFile(cfg: RunConfig, path: string): void {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`config file ${path}: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null) throw new ConfigError(`config file ${path}: expected a JSON object`);
  const { params, coins, ...rest } = json as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new ConfigError(`config file ${path}: unknown top-level key "${unknown[0]}" (allowed: params, coins)`);
  for (const [k, v] of Object.entries((params ?? {}) as Record<string, unknown>)) {
    if (k === 'weights' && typeof v === 'object' && v) {
      for (const [w, x] of Object.entries(v)) applyValue(cfg, `weights.${w}`, x);
    } else applyValue(cfg, k, v);
  }
  for (const [sym, c] of Object.entries((coins ?? {}) as Record<string, unknown>)) {
    if (typeof c !== 'object' || !c) throw new ConfigError(`config file ${path}: coins.${sym} must be an object`);
    for (const [k, v] of Object.entries(c)) applyValue(cfg, `${sym}.${k}`, v);
  }
}

export function buildRunConfig(opts: { configFile?: string; set?: string[] }): RunConfig {
  const cfg: RunConfig = { params: { ...DEFAULT_PARAMS, weights: { ...DEFAULT_PARAMS.weights } }, coins: {} };
  if (opts.configFile) applyConfigFile(cfg, opts.configFile);
  for (const s of opts.set ?? []) applySet(cfg, s);
  return cfg;
}
