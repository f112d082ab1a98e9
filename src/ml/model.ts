// The win-probability model in the bot: model.onnx (exported by ml/train.py) run with onnxruntime-node
// on the CPU, plus model.json beside it, whose feature schema must be this bot's (engine/features.ts):
// a model trained on other features would score nonsense without any error, so it is refused.
// Without a model the bot runs on the confluence score alone (NoModel says so).
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { FEATURE_COUNT, FEATURE_SCHEMA } from '../../engine/features.js';
import { probeRows, TreeEnsembleScorer, UnsupportedModel } from './tree-ensemble.js';
import { NoModel, type WinModel } from './win-model.js';

export { NoModel, type WinModel } from './win-model.js';

/** onnxruntime, loaded with the first model: a run without a model (e.g. a plain backtest) never pays for it. */
let ort: typeof Ort | null = null;

/** Largest difference allowed between the JS tree walk and onnxruntime (probability 0-1). */
export const SYNC_TOLERANCE = 1e-5;

/** What model.json says about the model (the fields the bot relies on; the rest is for people). */
export interface ModelMeta {
  schema_version: number;
  features: string[];
  input?: string;
  output?: string;
  training_window?: { from: string; to: string };
  n_samples?: number;
  metrics?: { oos?: { auc?: number | null; brier?: number; accuracy?: number; n?: number } };
  created_at?: string;
}

/** Checks model.json against this bot's feature schema; the message says what differs. */
export function checkModelMeta(raw: unknown, where = 'model.json'): ModelMeta {
  if (typeof raw !== 'object' || raw === null) throw new Error(`${where} is not a JSON object`);
  const meta = raw as Partial<ModelMeta>;
  if (typeof meta.schema_version !== 'number' || !Array.isArray(meta.features)) {
    throw new Error(`${where} needs "schema_version" (number) and "features" (list of names); was it written by ml/train.py?`);
  }
  const ours = FEATURE_SCHEMA.names as readonly string[];
  if (meta.schema_version !== FEATURE_SCHEMA.version) {
    throw new Error(
      `${where} feature schema v${meta.schema_version} does not match this bot's v${FEATURE_SCHEMA.version} ` +
        `(features: ${ours.join(', ')}); retrain the model on a dataset from this version`,
    );
  }
  const differs = ours.findIndex((n, k) => meta.features![k] !== n);
  if (differs >= 0 || meta.features.length !== ours.length) {
    const k = differs >= 0 ? differs : ours.length;
    throw new Error(
      `${where} feature order does not match this bot's schema v${FEATURE_SCHEMA.version}: ` +
        `feature #${k + 1} is ${JSON.stringify(meta.features[k] ?? null)}, expected ${JSON.stringify(ours[k] ?? null)}`,
    );
  }
  return meta as ModelMeta;
}

/** Column 1 (P(win)) of a "probabilities" output, as a tensor [N, 2] or a ZipMap (one {0: p0, 1: p1} per row). */
export function positiveColumn(output: unknown, rows: number): Float64Array {
  const out = new Float64Array(rows);
  const t = output as { dims?: readonly number[]; data?: ArrayLike<number> };
  if (t && t.dims && t.data) {
    const cols = t.dims[1] ?? 0;
    if (t.dims.length !== 2 || t.dims[0] !== rows || cols < 2) {
      throw new Error(`model output "probabilities" has shape [${t.dims.join(', ')}], expected [${rows}, 2]`);
    }
    for (let i = 0; i < rows; i++) out[i] = Number(t.data[i * cols + 1]);
    return out;
  }
  if (Array.isArray(output) && output.length === rows) {
    output.forEach((row: unknown, i) => {
      const p = row instanceof Map ? row.get(1) ?? row.get('1') : (row as Record<string, number>)[1];
      if (typeof p !== 'number') throw new Error('model output "probabilities" has a ZipMap row without class 1');
      out[i] = p;
    });
    return out;
  }
  throw new Error('model output "probabilities" is neither a tensor nor a ZipMap');
}

export class OnnxWinModel implements WinModel {
  readonly loaded = true;
  readonly description: string;
  private readonly input: string;
  private readonly output: string;

  private constructor(
    readonly path: string,
    readonly meta: ModelMeta,
    private readonly session: Ort.InferenceSession,
    private readonly scorer: TreeEnsembleScorer | null,
    /** Why predictSync cannot be used with this model (null when it can). */
    readonly syncUnavailable: string | null,
  ) {
    this.input = meta.input ?? 'features';
    this.output = meta.output ?? 'probabilities';
    if (!session.inputNames.includes(this.input)) {
      throw new Error(`${path} has no input "${this.input}" (inputs: ${session.inputNames.join(', ')})`);
    }
    if (!session.outputNames.includes(this.output)) {
      throw new Error(`${path} has no output "${this.output}" (outputs: ${session.outputNames.join(', ')})`);
    }
    const w = meta.training_window;
    const auc = meta.metrics?.oos?.auc;
    this.description =
      `${basename(path)} (schema v${meta.schema_version}` +
      (w ? `, trained on ${w.from.slice(0, 10)}..${w.to.slice(0, 10)}` : '') +
      (typeof auc === 'number' ? `, out-of-sample AUC ${auc.toFixed(3)}` : '') +
      ')';
  }

  /** Loads `path` (model.onnx) and the model.json beside it; refuses a model of another feature schema. */
  static async load(path: string): Promise<OnnxWinModel> {
    if (!existsSync(path)) throw new Error(`model file ${path} does not exist`);
    const metaPath = join(dirname(path), 'model.json');
    if (!existsSync(metaPath)) throw new Error(`${metaPath} is missing: the model's feature schema cannot be checked, so ${path} is not used`);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(metaPath, 'utf8'));
    } catch (e) {
      throw new Error(`${metaPath} is not valid JSON (${(e as Error).message})`);
    }
    const meta = checkModelMeta(raw, metaPath);
    const bytes = new Uint8Array(readFileSync(path));
    let session: Ort.InferenceSession;
    try {
      ort = await import('onnxruntime-node');
      session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], logSeverityLevel: 3 });
    } catch (e) {
      throw new Error(`${path} could not be loaded by onnxruntime: ${(e as Error).message}`);
    }
    let scorer: TreeEnsembleScorer | null = null;
    let unavailable: string | null = null;
    try {
      scorer = TreeEnsembleScorer.fromOnnx(bytes, FEATURE_COUNT);
    } catch (e) {
      if (!(e instanceof UnsupportedModel)) throw new Error(`${path} could not be read: ${(e as Error).message}`);
      unavailable = `${path} cannot be scored synchronously: ${e.message}`;
    }
    const model = new OnnxWinModel(path, meta, session, scorer, unavailable);
    if (scorer) {
      // The JS tree walk must agree with onnxruntime before the bot trusts it.
      const probes = probeRows(scorer);
      const ref = await model.predictBatch(probes);
      const worst = Math.max(...probes.map((r, i) => Math.abs(scorer.probability(r) - ref[i]! / 100)));
      if (!(worst <= SYNC_TOLERANCE)) {
        await session.release();
        throw new Error(`${path}: the synchronous tree evaluation disagrees with onnxruntime by ${worst.toExponential(2)}; model refused`);
      }
    }
    return model;
  }

  predictSync(features: Float64Array): number {
    if (!this.scorer) throw new Error(this.syncUnavailable ?? 'no synchronous scorer');
    return Math.min(100, Math.max(0, this.scorer.probability(features) * 100));
  }

  async predict(features: Float64Array): Promise<number> {
    return (await this.predictBatch([features]))[0]!;
  }

  async predictBatch(rows: readonly Float64Array[]): Promise<number[]> {
    if (rows.length === 0) return [];
    const x = new Float32Array(rows.length * FEATURE_COUNT);
    rows.forEach((r, i) => {
      if (r.length !== FEATURE_COUNT) throw new Error(`feature vector ${i + 1} has ${r.length} values, the model takes ${FEATURE_COUNT}`);
      x.set(r, i * FEATURE_COUNT); // float64 → float32, as the model was trained (NaN stays missing)
    });
    const feeds = { [this.input]: new ort!.Tensor('float32', x, [rows.length, FEATURE_COUNT]) };
    const result = await this.session.run(feeds, [this.output]);
    const p = positiveColumn(result[this.output], rows.length);
    return Array.from(p, (v) => Math.min(100, Math.max(0, v * 100)));
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** Loads the model at `path`. */
export function loadModel(path: string): Promise<OnnxWinModel> {
  return OnnxWinModel.load(path);
}

/** The model at `path`, or NoModel when no path is configured (a configured but bad model is an error). */
export async function loadModelOrNone(path: string | undefined): Promise<WinModel> {
  return path ? loadModel(path) : new NoModel();
}

/**
 * The model for a trading session (backtest, replay, live): `path` or NoModel, refused with one
 * message when its schema differs or its trees cannot be scored synchronously (the session needs that).
 * `origin` names where the path came from (e.g. "--model" or "MODEL_PATH") for the message.
 */
export async function loadSessionModel(path: string | undefined, origin: string): Promise<WinModel> {
  if (!path) return new NoModel();
  let model: OnnxWinModel;
  try {
    model = await loadModel(path);
  } catch (e) {
    throw new ModelRefused(`${origin}: ${(e as Error).message}`);
  }
  if (model.syncUnavailable) {
    await model.close();
    throw new ModelRefused(`${origin}: ${model.syncUnavailable}`);
  }
  return model;
}

/** A model the bot will not use; the message says why (shown as one line, no stack). */
export class ModelRefused extends Error {
  readonly userFacing = true;
}
