// Trains a small model with the real ml/train.py on a dataset written by src/ml/dataset.ts, then checks
// that onnxruntime-node reproduces XGBoost's probabilities and that foreign models are refused.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_SCHEMA } from '../../engine/features.js';
import { writeDataset, type DatasetRow } from '../../src/ml/dataset.js';
import { loadModel, loadModelOrNone, NoModel, type OnnxWinModel } from '../../src/ml/model.js';

const ROOT = join(import.meta.dirname, '../..');
const names = FEATURE_SCHEMA.names as readonly string[];
const col = (n: string): number => names.indexOf(n);

/** Deterministic pseudo-random numbers in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function syntheticRows(n: number): DatasetRow[] {
  const rnd = lcg(42);
  const rows: DatasetRow[] = [];
  const t0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < n; i++) {
    const f = new Float64Array(FEATURE_COUNT).map(() => rnd() * 2 - 1);
    f[col('htf_alignment')] = Math.floor(rnd() * 3) - 1;
    f[col('is_long')] = rnd() < 0.5 ? 1 : 0;
    f[col('confidence_score')] = 50 + Math.floor(rnd() * 50);
    if (rnd() < 0.1) f[col('btc_correlation')] = NaN; // missing values must score the same in both
    const edge = 1.2 * f[col('htf_alignment')]! + f[col('volume_ratio')]! + (rnd() - 0.5) * 1.5;
    rows.push({ time: t0 + i * 1_800_000, symbol: i % 3 ? 'ETHUSDT' : 'BTCUSDT', direction: f[col('is_long')] ? 'long' : 'short', features: f, pnl: edge > 0 ? 4 + rnd() : -2 - rnd() });
  }
  return rows;
}

function parseCsv(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trim().split('\n');
  const keys = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, k) => [keys[k]!, v])));
}

let dir: string;
let modelDir: string;
let model: OnnxWinModel;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smc-ml-'));
  modelDir = join(dir, 'model');
  const ds = join(dir, 'dataset.csv');
  writeDataset(ds, syntheticRows(400));
  const r = spawnSync('python3', [join(ROOT, 'ml/train.py'), '--dataset', ds, '--out', modelDir, '--min-samples', '50', '--n-estimators', '60'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ml/train.py failed (${r.status}): ${r.stderr || r.error?.message}`);
  model = await loadModel(join(modelDir, 'model.onnx'));
});

afterAll(async () => {
  await model?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ONNX model in Node', () => {
  it("reproduces XGBoost's probabilities on the out-of-sample rows within 1e-5", async () => {
    const rows = parseCsv(readFileSync(join(modelDir, 'oos_predictions.csv'), 'utf8'));
    expect(rows.length).toBeGreaterThan(250);
    const features = rows.map((r) => Float64Array.from(names, (n) => (r[n] === '' ? NaN : Number(r[n]))));
    expect(features.some((f) => Number.isNaN(f[col('btc_correlation')]))).toBe(true);
    const p = await model.predictBatch(features);
    let worst = 0;
    rows.forEach((r, i) => {
      worst = Math.max(worst, Math.abs(p[i]! / 100 - Number(r.model_probability)));
    });
    expect(worst).toBeLessThanOrEqual(1e-5);
    // the model learned something, so the probabilities are not one constant
    expect(Math.max(...p) - Math.min(...p)).toBeGreaterThan(50);
  });

  it('gives the same probability for one row as in a batch, in 0-100', async () => {
    const rows = syntheticRows(5).map((r) => r.features);
    const batch = await model.predictBatch(rows);
    for (let i = 0; i < rows.length; i++) {
      const one = await model.predict(rows[i]!);
      expect(one).toBe(batch[i]);
      expect(one).toBeGreaterThanOrEqual(0);
      expect(one).toBeLessThanOrEqual(100);
    }
    await expect(model.predict(new Float64Array(3))).rejects.toThrow(/has 3 values, the model takes 22/);
  });

  it('describes itself with its schema, training window and out-of-sample AUC', () => {
    expect(model.description).toMatch(/^model\.onnx \(schema v1, trained on 2024-01-01\.\.2024-01-09, out-of-sample AUC 0\.\d{3}\)$/);
  });
});

describe('model refusal', () => {
  function variant(name: string, edit: (meta: Record<string, unknown>) => void): string {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    copyFileSync(join(modelDir, 'model.onnx'), join(d, 'model.onnx'));
    const meta = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'));
    edit(meta);
    writeFileSync(join(d, 'model.json'), JSON.stringify(meta));
    return join(d, 'model.onnx');
  }

  it('refuses a model of another feature schema version', async () => {
    const path = variant('v2', (m) => {
      m.schema_version = 2;
    });
    await expect(loadModel(path)).rejects.toThrow(
      /model\.json feature schema v2 does not match this bot's v1 \(features: confidence_score, htf_alignment, .*recent_win_rate_overall\)/,
    );
  });

  it('refuses a model whose feature order differs', async () => {
    const path = variant('swapped', (m) => {
      const f = m.features as string[];
      [f[3], f[4]] = [f[4]!, f[3]!];
    });
    await expect(loadModel(path)).rejects.toThrow(/feature order does not match .* feature #4 is "has_fvg", expected "has_order_block"/);
  });

  it('refuses a model without model.json and a missing file', async () => {
    const d = join(dir, 'bare');
    mkdirSync(d, { recursive: true });
    copyFileSync(join(modelDir, 'model.onnx'), join(d, 'model.onnx'));
    await expect(loadModel(join(d, 'model.onnx'))).rejects.toThrow(/model\.json is missing/);
    await expect(loadModel(join(dir, 'nope.onnx'))).rejects.toThrow(/does not exist/);
  });

  it('runs without a model when none is configured, and says so', async () => {
    const none = await loadModelOrNone(undefined);
    expect(none).toBeInstanceOf(NoModel);
    expect(none.loaded).toBe(false);
    expect(none.description).toMatch(/^no model/);
    expect(await none.predict(new Float64Array(FEATURE_COUNT))).toBeNull();
  });
});

describe('synchronous scoring', () => {
  it('agrees with XGBoost and onnxruntime on the out-of-sample rows within 1e-5', async () => {
    expect(model.syncUnavailable).toBeNull();
    const rows = parseCsv(readFileSync(join(modelDir, 'oos_predictions.csv'), 'utf8'));
    const features = rows.map((r) => Float64Array.from(names, (n) => (r[n] === '' ? NaN : Number(r[n]))));
    const viaOrt = await model.predictBatch(features);
    rows.forEach((r, i) => {
      const p = model.predictSync(features[i]!);
      expect(Math.abs(p / 100 - Number(r.model_probability))).toBeLessThanOrEqual(1e-5);
      expect(Math.abs(p - viaOrt[i]!) / 100).toBeLessThanOrEqual(1e-5);
    });
  });
});

describe('MlSignalScoring on real candles', () => {
  it('scores engine signals synchronously as onnxruntime does, and labels their trades', async () => {
    const { SymbolAnalyzer } = await import('../../engine/analyzer.js');
    const { coinConfig, DEFAULT_PARAMS } = await import('../../engine/params.js');
    const { loadCandleFile } = await import('../../src/data/load.js');
    const { dataPath } = await import('../helpers/data.js');
    const { MlSignalScoring, mlFeatureRecord } = await import('../../src/ml/signal-scoring.js');
    const from = Date.UTC(2025, 4, 5);
    const s = loadCandleFile(dataPath('binance-usdm', 'ETHUSDT-1m.csv.gz'), { from, to: from + 12 * 86_400_000 });
    const params = { ...DEFAULT_PARAMS, signal_log_min_score: 40 };
    const a = new SymbolAnalyzer('ETHUSDT', { ...coinConfig('ETHUSDT'), min_confidence: 40 }, params, { baseTf: '1m' });
    const ml = new MlSignalScoring({ baseTf: '1m', mtfOf: (sym) => coinConfig(sym).mtf_timeframe }, model);
    const scored: { sig: import('../../engine/types.js').Signal; p: number }[] = [];
    for (let i = 0; i < s.length; i++) {
      const c = { ts: s.ts[i]!, open: s.open[i]!, high: s.high[i]!, low: s.low[i]!, close: s.close[i]!, volume: s.volume[i]! };
      ml.observe('ETHUSDT', c);
      const ev = a.onBaseCandle(c);
      const sig = ev && a.candidate(ev);
      if (sig) scored.push({ sig, p: ml.score(sig)! });
    }
    expect(scored.length).toBeGreaterThan(5);
    const viaOrt = await model.predictBatch(scored.map(({ sig }) => ml.features(sig)));
    scored.forEach(({ p }, i) => expect(Math.abs(p - viaOrt[i]!)).toBeLessThanOrEqual(1e-3));

    const { sig } = scored[0]!;
    const row = ml.onTradeClosed({ symbol: 'ETHUSDT', exitTime: sig.time + 600_000, netPnl: 12.5, pnlPercent: 8, signal: sig });
    expect(row).toMatchObject({ time: sig.time, symbol: 'ETHUSDT', direction: sig.direction, pnl: 8 });
    expect(row!.features).toBe(ml.features(sig));
    expect(ml.book.outcomes.winRate(sig.time + 600_001, 'ETHUSDT')).toBe(1);
    const rec = mlFeatureRecord('00000000-0000-4000-8000-000000000001', 't1', sig, row!.features, { netPnl: 12.5, pnlPercent: 8 }, 'backtest');
    expect(rec).toMatchObject({ signal_id: sig.id, schema_version: 1, outcome: 'win', pnl_percent: 8, source: 'backtest' });
    expect(Object.keys(rec.features)).toEqual([...names]);
  });
});
