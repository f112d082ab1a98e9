// What the bot asks of a win-probability model, and the stand-in without one. Kept apart from the
// ONNX loader so a run without a model (a plain backtest) does not load it.
export interface WinModel {
  readonly loaded: boolean;
  /** One line for /status and alerts. */
  readonly description: string;
  /** Win probability 0-100 of one feature vector (schema order); null without a model. */
  predict(features: Float64Array): Promise<number | null>;
  predictBatch(rows: readonly Float64Array[]): Promise<(number | null)[]>;
  /**
   * The same probability, synchronously (for the trading session's scoring hook); null without a model.
   * Throws when the model's graph cannot be evaluated outside onnxruntime (see syncUnavailable).
   */
  predictSync(features: Float64Array): number | null;
  close(): Promise<void>;
}

/** No model: every probability is null and signals are judged by their confluence score alone. */
export class NoModel implements WinModel {
  readonly loaded = false;
  readonly description = 'no model (signals run on the confluence score alone)';
  async predict(): Promise<null> {
    return null;
  }
  async predictBatch(rows: readonly Float64Array[]): Promise<null[]> {
    return rows.map(() => null);
  }
  predictSync(): null {
    return null;
  }
  async close(): Promise<void> {}
}
