// Assembles the bot from the environment: store, exchange (Bybit or the simulated venue), chat,
// ML model, runtime and /health — and takes it down cleanly on SIGTERM/SIGINT.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { describeEnv, type Env } from './config/env.js';
import type { RunConfig } from './config/overrides.js';
import { coinConfig } from '../engine/params.js';
import type { CandleSeries } from '../engine/types.js';
import { BybitExchange } from './exchange/bybit/exchange.js';
import type { ExchangePort } from './exchange/port.js';
import { SimulatedExchange } from './runtime/simulated-exchange.js';
import { ReplaySource } from './runtime/replay-source.js';
import { ExchangeCandleSource } from './runtime/bybit-source.js';
import { Runtime, type Publisher } from './runtime/runtime.js';
import { CoinUniverse } from './runtime/universe.js';
import { healthOf, standbyHealth, startHealthServer } from './runtime/health.js';
import { openStore } from './storage/open.js';
import type { Store } from './storage/store.js';
import { sleep as pause } from '../bot/backoff.js';
import { startTransports, type TransportOptions } from '../bot/index.js';
import { scheduleDailyReport } from './ops/daily-report.js';
import { dayStats, previousUtcDay } from './ops/daily-stats.js';
import type { BotEvent } from '../handlers/control.js';
import { createLogger, type Logger } from './log.js';
import { UserError } from './cli/errors.js';
import { loadSessionModel } from './ml/model.js';
import { mlScoringFor } from './ml/signal-scoring.js';

export interface AppOptions {
  env: Env;
  cfg: RunConfig;
  /** Replay: recorded candles instead of live data. */
  replay?: { series: CandleSeries[]; speed: number };
  logger?: Logger;
  /** Replay ends when the data ends unless held open (health checks, chat). */
  hold?: boolean;
  /** The model to load instead of MODEL_PATH (`smc replay --model`). */
  modelPath?: string;
  /** Chat knobs (tests: publish waits, poll timeout); production uses the defaults. */
  chat?: TransportOptions;
  /** SIGTERM during start-up: stop waiting (lease, exchange back-off) and shut down cleanly. */
  signal?: AbortSignal;
}

/** Start-up was cancelled before the app was running; everything it had opened is closed. */
export class StartAborted extends Error {
  constructor() {
    super('stopped during start-up');
    this.name = 'StartAborted';
  }
}

export interface App {
  runtime: Runtime;
  store: Store | null;
  health: Server | null;
  logger: Logger;
  /** Resolves when a replay has played its last candle (never for live data). */
  finished: Promise<void>;
  stop(reason: string): Promise<void>;
}

export async function startApp(o: AppOptions): Promise<App> {
  const { env, cfg } = o;
  const logger = o.logger ?? createLogger(env.LOG_LEVEL, [env.BYBIT_API_KEY, env.BYBIT_API_SECRET, env.SUPABASE_KEY ?? '', env.TELEGRAM_BOT_TOKEN ?? '', env.DISCORD_BOT_TOKEN ?? '']);
  const tradingMode = o.replay ? 'replay' : env.TRADING_MODE;
  logger.info({ config: describeEnv(env), tradingMode }, 'starting SMC Ultra');
  if (env.MAX_CONCURRENT_TRADES) cfg.params.max_concurrent_trades = env.MAX_CONCURRENT_TRADES;
  if (env.RISK_PER_TRADE_PERCENT) cfg.params.risk_per_trade_percent = env.RISK_PER_TRADE_PERCENT;
  if (tradingMode === 'paper' || tradingMode === 'replay') cfg.params.initial_equity = o.replay ? cfg.params.initial_equity : env.PAPER_EQUITY;

  // The model from MODEL_PATH, checked first: a bad or foreign model stops the start with one message.
  const model = await loadSessionModel(o.modelPath ?? env.MODEL_PATH, o.modelPath ? '--model' : 'MODEL_PATH');
  let startupProblem: string | null = null;
  let standby: string | null = null;
  let runtime: Runtime | null = null;
  const health = env.PORT >= 0 ? await startHealthServer(env.PORT, () => standby ? standbyHealth(standby, tradingMode) : healthOf(runtime, Date.now(), startupProblem, tradingMode)).catch((e) => {
    throw new UserError(`cannot listen on PORT=${env.PORT}: ${(e as Error).message}`);
  }) : null;

  const store = await openStore(env); // migrates, or defers the migrations while the database is down
  const holder = `${tradingMode}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const account = tradingMode === 'replay' || tradingMode === 'paper' ? `${tradingMode}:${env.DATA_DIR}` : `bybit-${env.TRADING_MODE}:${env.BYBIT_API_KEY.slice(0, 6)}`;
  // A deploy starts the new process while the old one still trades: wait in standby (healthy,
  // not trading) until the old one releases the lease or lets it expire.
  // A database that is down at start cannot tell whether another process trades: wait for it
  // (positions keep their exchange-side stops) rather than risk two traders on one account.
  let leaseWait = 5_000;
  for (;;) {
    const got = await store.acquireLease(holder, 60_000, account).catch((e: Error) => e);
    if (got === true) break;
    if (got instanceof Error) {
      standby = `standby: the database is unreachable (${got.message}); cannot take the trading lease for ${account} — retrying in ${leaseWait / 1000}s`;
    } else {
      standby = `standby: another SMC Ultra process is trading this account (${account}); waiting for its lease`;
    }
    logger.warn(standby);
    await pause(leaseWait, o.signal);
    if (o.signal?.aborted) {
      await store.close();
      await new Promise<void>((r) => (health ? health.close(() => r()) : r()));
      logger.info('stopped while waiting for the trading lease');
      throw new StartAborted();
    }
    leaseWait = got instanceof Error ? Math.min(leaseWait * 2, 60_000) : 5_000;
  }
  standby = null;

  const symbols = o.replay ? o.replay.series.map((s) => s.symbol) : env.SYMBOLS;
  const coins = Object.fromEntries(symbols.map((s) => [s, coinConfig(s, cfg.coins)]));
  let exchange: ExchangePort;
  let sim: SimulatedExchange | null = null;
  if (o.replay) {
    sim = new SimulatedExchange('replay', new ReplaySource(o.replay.series, o.replay.speed), cfg.params);
    exchange = sim;
  } else if (env.TRADING_MODE === 'paper') {
    const pub = new BybitExchange({ mode: 'public', restUrl: env.BYBIT_REST_URL, wsUrl: env.BYBIT_WS_URL, logger: logger.child({ venue: 'bybit-public' }) });
    sim = new SimulatedExchange('paper', new ExchangeCandleSource(pub), cfg.params);
    exchange = sim;
  } else {
    exchange = new BybitExchange({
      mode: env.TRADING_MODE, key: env.BYBIT_API_KEY, secret: env.BYBIT_API_SECRET,
      restUrl: env.BYBIT_REST_URL, wsUrl: env.BYBIT_WS_URL, logger: logger.child({ venue: `bybit-${env.TRADING_MODE}` }),
    });
  }

  // The features of every signal are computed with or without a model, so ml_features rows can
  // train the next model.
  const baseTf = o.replay ? o.replay.series[0].tf : '1m';
  const ml = mlScoringFor({ params: cfg.params, coins: () => runtime?.opts.coins ?? coins, baseTf }, model);
  let notify: ((e: BotEvent) => Promise<void>) | null = null;
  const publisher: Publisher = { publish: async (e) => { await notify?.(e); } };
  runtime = new Runtime({
    exchange, store, publisher, logger, params: cfg.params, coins, symbols, baseTf,
    tradingMode, executionMode: env.EXECUTION_MODE, approvalTimeoutSeconds: env.APPROVAL_TIMEOUT_SECONDS,
    maxDailyLossPercent: env.MAX_DAILY_LOSS_PERCENT, mlMinConfidence: model.loaded ? env.ML_MIN_CONFIDENCE : 0,
    ml, mlScore: model.loaded ? ml.score : undefined, modelVersion: model.loaded ? model.description : null, backfill: !o.replay,
  });
  // The store keeps the alert message ids, so a decision after a restart still edits the alert.
  const chat = await startTransports(env, runtime.control, logger, { ...o.chat, approvals: store });
  notify = (e) => chat.publish(e);
  const dailyReport = scheduleDailyReport({
    cron: env.DAILY_REPORT_CRON,
    stats: () => dayStats(store, previousUtcDay(Date.now()), tradingMode),
    publish: (e) => chat.publish(e),
    logger,
  });
  if (!model.loaded) logger.info('no ML model: running on the confluence score alone');
  else logger.info({ model: model.description, mlMinConfidence: env.ML_MIN_CONFIDENCE }, 'ML model loaded');

  const leaseTimer = setInterval(async () => {
    const ok = await store.renewLease(holder, 60_000, account).catch(() => true); // a store outage is not a lost lease
    if (!ok) {
      logger.error('trading lease lost to another process: stopping');
      void app.stop('lease lost');
    }
  }, 20_000);
  leaseTimer.unref();

  // Start with back-off: an unreachable exchange is reported and retried, never fatal.
  let delay = 2_000;
  for (;;) {
    try {
      await runtime.start();
      startupProblem = null;
      break;
    } catch (e) {
      startupProblem = `exchange unreachable: ${(e as Error).message}`;
      logger.error({ retryInSeconds: delay / 1000 }, startupProblem);
      await pause(delay, o.signal);
      if (o.signal?.aborted) break;
      delay = Math.min(delay * 2, 60_000);
    }
  }

  // Coin universe: the configured coins plus the top N by 24h turnover, refreshed daily at 00:05 UTC.
  const universe = !o.replay && env.TOP_COINS_BY_VOLUME > 0
    ? new CoinUniverse({ runtime, configured: symbols, topN: env.TOP_COINS_BY_VOLUME, coinFor: (s) => coinConfig(s, cfg.coins), logger })
    : null;
  if (!o.signal?.aborted) universe?.start();

  // Railway restarts only a process that exits: leave when market data stays stale.
  const watchdog = o.replay ? null : setInterval(() => {
    const h = healthOf(runtime, Date.now(), startupProblem, tradingMode);
    if (h.status !== 'ok' && runtime!.lastCandleAt !== null && Date.now() - runtime!.lastCandleAt > 10 * 60_000) {
      logger.error({ health: h }, 'market data stale for 10 minutes: exiting so the platform restarts the service');
      void app.stop('stale market data').then(() => process.exit(1));
    }
  }, 30_000);
  watchdog?.unref();

  let stopped = false;
  const app: App = {
    runtime, store, health, logger,
    finished: sim && o.replay ? sim.finished().then(() => runtime!.idle()) : new Promise<void>(() => {}),
    async stop(reason: string) {
      if (stopped) return;
      stopped = true;
      logger.info({ reason }, 'shutting down');
      clearInterval(leaseTimer);
      if (watchdog) clearInterval(watchdog);
      universe?.stop();
      await dailyReport.stop();
      await runtime!.stop();
      await chat.stop();
      await store.releaseLease(holder, account).catch(() => undefined);
      await store.close();
      await model.close();
      await new Promise<void>((r) => (health ? health.close(() => r()) : r()));
      logger.info('shutdown complete: positions keep their exchange-side stops');
    },
  };
  if (o.signal?.aborted) {
    await app.stop('signal during start-up');
    throw new StartAborted();
  }
  return app;
}
