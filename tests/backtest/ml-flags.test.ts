// `smc backtest --dataset / --model / --ml-min-confidence / --no-model` on real candles: the dataset has
// one row per traded signal, the model's probabilities decide the ml_filter fates, and a model of another
// feature schema is refused with one message.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtestCommand, type BacktestCliOptions } from '../../src/cli/commands/backtest.js';
import { DATASET_HEADER } from '../../src/ml/dataset.js';
import { loadModel } from '../../src/ml/model.js';
import { FEATURE_SCHEMA } from '../../engine/features.js';
import { dataPath } from '../helpers/data.js';

const ROOT = join(import.meta.dirname, '../..');
const MODEL = join(ROOT, 'tests/ml/fixtures/tiny-model/model.onnx');
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'AVAXUSDT', 'DOGEUSDT'];
// min_confidence 70 for every coin: enough signals in a short window for the model to filter some.
const SET = SYMBOLS.map((s) => `${s}.min_confidence=70`);

let dir: string;
const savedEnv = { MODEL_PATH: process.env.MODEL_PATH, ML_MIN_CONFIDENCE: process.env.ML_MIN_CONFIDENCE };

function opts(extra: Partial<BacktestCliOptions>): BacktestCliOptions {
  return {
    data: [dataPath('binance-spot')], symbols: SYMBOLS, from: Date.parse('2021-04-05T00:00:00Z'), to: Date.parse('2021-04-15T00:00:00Z'),
    set: SET, out: join(dir, 'out'), report: false, quiet: true, ...extra,
  };
}

function csv(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trim().split('\n');
  const keys = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, k) => [keys[k]!, v])));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'smc-bt-ml-'));
  delete process.env.MODEL_PATH;
  delete process.env.ML_MIN_CONFIDENCE;
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const [k, v] of Object.entries(savedEnv)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
});

describe('--dataset', () => {
  it('writes one row per traded signal with its features, time, pnl and win', async () => {
    const file = join(dir, 'ds', 'dataset.csv');
    const { result, summary } = await backtestCommand(opts({ dataset: file, out: join(dir, 'ds') }));
    const rows = csv(readFileSync(file, 'utf8'));
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe(DATASET_HEADER.join(','));
    // every closed trade except one cut by the end of the data (no real outcome)
    const traded = result.trades.filter((t) => t.exitReason !== 'end_of_data');
    expect(traded.length).toBeGreaterThan(20);
    expect(rows).toHaveLength(traded.length);
    expect(summary.ml!.datasetRows).toBe(traded.length);
    const byKey = new Map(traded.map((t) => [`${new Date(t.signal.time).toISOString()} ${t.symbol} ${t.direction}`, t]));
    for (const r of rows) {
      const t = byKey.get(`${r.time} ${r.symbol} ${r.direction}`)!;
      expect(t, `${r.time} ${r.symbol}`).toBeDefined();
      expect(Number(r.pnl)).toBe(t.pnlPercent);
      expect(r.win).toBe(t.netPnl > 0 ? '1' : '0');
      const f = result.features.get(t.signal.id)!;
      FEATURE_SCHEMA.names.forEach((n, k) => expect(r[n] === '' ? NaN : Number(r[n])).toBe(f[k]! + 0)); // CSV has no -0
      expect(Number(r.confidence_score)).toBe(t.confidence);
    }
    // without a model nothing is scored or filtered, and the trades are those of a run without ML
    expect(summary.ml).toMatchObject({ loaded: false, scored: 0, filtered: 0 });
    const plain = await backtestCommand(opts({ out: join(dir, 'plain') }));
    expect(plain.result.trades.map((t) => [t.id, t.netPnl])).toEqual(result.trades.map((t) => [t.id, t.netPnl]));
  });
});

describe('--model', () => {
  it('scores every signal, and --ml-min-confidence turns low probabilities into ml_filter fates', async () => {
    const { result, summary } = await backtestCommand(opts({ model: MODEL, mlMinConfidence: 50, out: join(dir, 'm50') }));
    const filtered = result.signals.filter((s) => s.fate === 'ml_filter');
    expect(filtered.length).toBeGreaterThan(0);
    expect(summary.ml).toMatchObject({ loaded: true, minConfidence: 50, filtered: filtered.length, scored: result.signals.length });
    expect(summary.signals.byFate.ml_filter).toBe(filtered.length);
    for (const s of filtered) expect(s.signal.mlProbability!).toBeLessThan(50);
    const executed = result.signals.filter((s) => s.fate === 'executed');
    expect(executed.length).toBeGreaterThan(0);
    for (const s of executed) expect(s.signal.mlProbability!).toBeGreaterThanOrEqual(50);
    for (const t of result.trades) expect(t.mlProbability).toBe(t.signal.mlProbability);
    // the session's synchronous probabilities are onnxruntime's
    const model = await loadModel(MODEL);
    try {
      const ref = await model.predictBatch(result.signals.map((s) => result.features.get(s.signal.id)!));
      result.signals.forEach((s, i) => expect(Math.abs(s.signal.mlProbability! - ref[i]!)).toBeLessThanOrEqual(1e-3));
    } finally {
      await model.close();
    }
    expect(readFileSync(join(dir, 'm50', 'signals.csv'), 'utf8')).toContain(',ml_filter,');
  });

  it('with ML_MIN_CONFIDENCE 0 (the default) ranks but filters nothing; MODEL_PATH is the default model, --no-model ignores it', async () => {
    process.env.MODEL_PATH = MODEL;
    try {
      const ranked = await backtestCommand(opts({ out: join(dir, 'm0') }));
      expect(ranked.summary.ml).toMatchObject({ loaded: true, minConfidence: 0, filtered: 0 });
      expect(ranked.result.signals.every((s) => s.signal.mlProbability !== null)).toBe(true);
      process.env.ML_MIN_CONFIDENCE = '50';
      const fromEnv = await backtestCommand(opts({ out: join(dir, 'menv') }));
      expect(fromEnv.summary.ml!.minConfidence).toBe(50);
      expect(fromEnv.summary.ml!.filtered).toBeGreaterThan(0);
      const none = await backtestCommand(opts({ model: false, out: join(dir, 'none') }));
      expect(none.summary.ml).toMatchObject({ loaded: false, filtered: 0 });
      expect(none.result.signals.every((s) => s.signal.mlProbability === null)).toBe(true);
    } finally {
      delete process.env.MODEL_PATH;
      delete process.env.ML_MIN_CONFIDENCE;
    }
  });

  it('refuses a model of another feature schema with one message naming the flag', async () => {
    const bad = join(dir, 'bad-model');
    cpSync(join(ROOT, 'tests/ml/fixtures/tiny-model'), bad, { recursive: true });
    const meta = JSON.parse(readFileSync(join(bad, 'model.json'), 'utf8'));
    writeFileSync(join(bad, 'model.json'), JSON.stringify({ ...meta, schema_version: FEATURE_SCHEMA.version + 1 }));
    await expect(backtestCommand(opts({ model: join(bad, 'model.onnx'), out: join(dir, 'bad') })))
      .rejects.toThrow(`--model: ${join(bad, 'model.json')} feature schema v${FEATURE_SCHEMA.version + 1} does not match this bot's v${FEATURE_SCHEMA.version}`);
    const swapped = [...meta.features];
    [swapped[0], swapped[1]] = [swapped[1], swapped[0]];
    writeFileSync(join(bad, 'model.json'), JSON.stringify({ ...meta, features: swapped }));
    process.env.MODEL_PATH = join(bad, 'model.onnx');
    try {
      await expect(backtestCommand(opts({ out: join(dir, 'bad') }))).rejects.toThrow(/^MODEL_PATH: .*feature order does not match.*feature #1 is "htf_alignment", expected "confidence_score"/);
    } finally {
      delete process.env.MODEL_PATH;
    }
  });

  it('the real CLI prints that refusal as one line and exits 1', () => {
    const bad = join(dir, 'bad-model');
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/smc.js'), 'backtest', '--data', dataPath('binance-spot'), '--symbols', 'BTCUSDT',
      '--from', '2021-04-05', '--to', '2021-04-06', '--out', join(dir, 'cli'), '--model', join(bad, 'model.onnx'), '--quiet'],
    { encoding: 'utf8', env: { ...process.env, SMC_USE_SOURCE: '1', MODEL_PATH: '' } });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: --model: .*model\.json feature order does not match/)]);
  });
});
