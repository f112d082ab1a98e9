// The model in the assembled bot: MODEL_PATH (or `smc replay --model`) is loaded at start, /status says
// which model runs (or "no model"), a foreign model stops the start with one line, and the replay's
// signals are scored and filtered like the backtest's.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../../src/app.js';
import { loadEnv } from '../../src/config/env.js';
import { buildRunConfig } from '../../src/config/overrides.js';
import { loadDataSources } from '../../src/data/load.js';
import { createLogger } from '../../src/log.js';
import { dataPath } from '../helpers/data.js';

const ROOT = join(import.meta.dirname, '../..');
const MODEL = join(ROOT, 'tests/ml/fixtures/tiny-model/model.onnx');
let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'smc-app-model-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

function smc(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [join(ROOT, 'bin/smc.js'), ...args], {
    encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', SMC_USE_SOURCE: '1', PORT: '0', LOG_LEVEL: 'info', ...env },
  });
}

async function statusOf(modelPath: string | undefined, dataDir: string) {
  const env = loadEnv({ TRADING_MODE: 'paper', EXECUTION_MODE: 'auto', DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', ...(modelPath ? { MODEL_PATH: modelPath } : {}) });
  const series = loadDataSources([dataPath('binance-spot')], { symbols: ['BTCUSDT'], from: Date.parse('2021-04-02T00:00:00Z'), to: Date.parse('2021-04-02T06:00:00Z') });
  const app = await startApp({ env, cfg: buildRunConfig({}), replay: { series, speed: 0 }, logger: createLogger('silent') });
  try {
    await app.finished;
    return await app.runtime.control.status();
  } finally {
    await app.stop('test');
  }
}

describe('the model in the app', () => {
  it('/status names the loaded model, or says there is none', async () => {
    const loaded = await statusOf(MODEL, join(dir, 'a'));
    expect(loaded.model.loaded).toBe(true);
    expect(loaded.model.version).toMatch(/^model\.onnx \(schema v1, trained on 2021-04-04\.\.2021-05-13/);
    const none = await statusOf(undefined, join(dir, 'a')); // same DATA_DIR: no second migration
    expect(none.model).toEqual({ loaded: false, version: null });
  });

  it('smc replay --model scores signals and reports the model; a foreign MODEL_PATH stops the start with one line', () => {
    const set = ['BTCUSDT', 'ETHUSDT'].flatMap((s) => ['--set', `${s}.min_confidence=70`]);
    const args = ['replay', '--data', dataPath('binance-spot'), '--base', '5m', '--symbols', 'BTCUSDT,ETHUSDT', '--from', '2024-01-01', '--to', '2024-01-25', ...set];
    const ok = smc([...args, '--model', MODEL, '--ml-min-confidence', '50', '--out', join(dir, 'replay')], { DATA_DIR: join(dir, 'c') });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('ML model loaded');
    expect(ok.stdout).toMatch(/replay finished: \d+ trades/);
    const trades = readFileSync(join(dir, 'replay', 'trades.csv'), 'utf8').trim().split('\n').slice(1);
    expect(trades.length).toBeGreaterThan(0);
    const col = readFileSync(join(dir, 'replay', 'trades.csv'), 'utf8').split('\n')[0]!.split(',').indexOf('ml_probability');
    for (const t of trades) expect(Number(t.split(',')[col])).toBeGreaterThanOrEqual(50);

    const bad = join(dir, 'bad');
    cpSync(join(ROOT, 'tests/ml/fixtures/tiny-model'), bad, { recursive: true });
    const meta = JSON.parse(readFileSync(join(bad, 'model.json'), 'utf8'));
    writeFileSync(join(bad, 'model.json'), JSON.stringify({ ...meta, schema_version: 99 }));
    const refused = smc(args, { DATA_DIR: join(dir, 'd'), MODEL_PATH: join(bad, 'model.onnx') });
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim().split('\n')).toEqual([`error: MODEL_PATH: ${join(bad, 'model.json')} feature schema v99 does not match this bot's v1 (features: ${meta.features.join(', ')}); retrain the model on a dataset from this version`]);
  });
});
