// Environment configuration, validated at start. Every bad value becomes one line naming the
// variable and what is allowed; secrets are masked whenever the config is printed.
import { z } from 'zod';
import cron from 'node-cron';
import { ConfigError } from './overrides.js';

const csv = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const positive = (def: number) => z.coerce.number().positive().default(def);
const idList = z.string().default('').transform(csv).pipe(z.array(z.string().regex(/^-?\d+$/, 'must be numeric ids separated by commas')));

export const EnvSchema = z.object({
  // exchange
  TRADING_MODE: z.enum(['paper', 'testnet', 'demo', 'live']).default('paper'),
  LIVE_TRADING_CONFIRM: z.string().default(''),
  BYBIT_API_KEY: z.string().default(''),
  BYBIT_API_SECRET: z.string().default(''),
  BYBIT_REST_URL: z.url().optional(),
  BYBIT_WS_URL: z.string().regex(/^wss?:\/\//, 'must be a ws:// or wss:// URL').optional(),
  // mode and risk
  EXECUTION_MODE: z.enum(['approve', 'auto']).default('approve'),
  SYMBOLS: z.string().default('BTCUSDT,ETHUSDT,SOLUSDT,AVAXUSDT,DOGEUSDT').transform(csv)
    .pipe(z.array(z.string().regex(/^[A-Z0-9]{2,20}USDT$/, 'must be USDT perpetual symbols like BTCUSDT')).min(1)),
  TOP_COINS_BY_VOLUME: z.coerce.number().int().min(0).max(200).default(0),
  MAX_CONCURRENT_TRADES: z.coerce.number().int().min(1).max(50).optional(),
  RISK_PER_TRADE_PERCENT: z.coerce.number().positive().max(10).optional(),
  MAX_DAILY_LOSS_PERCENT: z.coerce.number().positive().max(100).default(5),
  APPROVAL_TIMEOUT_SECONDS: z.coerce.number().int().min(10).max(3600).default(120),
  PAPER_EQUITY: positive(10_000),
  CONFIG_FILE: z.string().optional(),
  // store
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  SUPABASE_URL: z.url().optional(),
  SUPABASE_KEY: z.string().optional(),
  // chat
  TELEGRAM_BOT_TOKEN: z.string().optional(),
  TELEGRAM_CHAT_ID: z.string().regex(/^-?\d+$/, 'must be a numeric chat id').optional(),
  TELEGRAM_ALLOWED_USER_IDS: idList,
  TELEGRAM_API_ROOT: z.url().optional(),
  DISCORD_BOT_TOKEN: z.string().optional(),
  DISCORD_CHANNEL_ID: z.string().regex(/^\d+$/, 'must be a numeric channel id').optional(),
  DISCORD_ALLOWED_USER_IDS: idList,
  DISCORD_ALLOWED_ROLE_IDS: idList,
  DISCORD_API_ROOT: z.url().optional(),
  DAILY_REPORT_CRON: z.string().default('0 0 * * *').refine((s) => cron.validate(s), 'must be a cron expression like "0 0 * * *"'),
  // ML
  MODEL_PATH: z.string().optional(),
  ML_MIN_CONFIDENCE: z.coerce.number().min(0).max(100).default(0),
  // ops
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

export type Env = z.infer<typeof EnvSchema>;

export const SECRET_VARS = ['BYBIT_API_KEY', 'BYBIT_API_SECRET', 'SUPABASE_KEY', 'TELEGRAM_BOT_TOKEN', 'DISCORD_BOT_TOKEN', 'DATABASE_URL'];

/** Parses the environment; throws ConfigError listing every bad variable, one per line. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const input: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const v = source[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  const r = EnvSchema.safeParse(input);
  const problems: string[] = [];
  if (!r.success) {
    for (const issue of r.error.issues) {
      const key = String(issue.path[0] ?? '?');
      const shown = SECRET_VARS.includes(key) ? '(hidden)' : JSON.stringify(input[key] ?? '');
      problems.push(`${key}=${shown}: ${issue.message}`);
    }
  } else {
    problems.push(...crossChecks(r.data));
  }
  if (problems.length) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return (r as { data: Env }).data;
}

function crossChecks(e: Env): string[] {
  const out: string[] = [];
  if (e.TRADING_MODE !== 'paper' && (!e.BYBIT_API_KEY || !e.BYBIT_API_SECRET)) {
    out.push(`TRADING_MODE=${e.TRADING_MODE}: needs BYBIT_API_KEY and BYBIT_API_SECRET (use TRADING_MODE=paper to trade without keys)`);
  }
  if (e.TRADING_MODE === 'live' && e.LIVE_TRADING_CONFIRM !== 'I understand the risk') {
    out.push('TRADING_MODE=live: set LIVE_TRADING_CONFIRM="I understand the risk" to trade real money');
  }
  if (Boolean(e.SUPABASE_URL) !== Boolean(e.SUPABASE_KEY)) out.push('SUPABASE_URL and SUPABASE_KEY: set both or neither');
  if (e.TELEGRAM_BOT_TOKEN && !e.TELEGRAM_CHAT_ID) out.push('TELEGRAM_CHAT_ID: required when TELEGRAM_BOT_TOKEN is set (the chat alerts go to)');
  if (e.DISCORD_BOT_TOKEN && !e.DISCORD_CHANNEL_ID) out.push('DISCORD_CHANNEL_ID: required when DISCORD_BOT_TOKEN is set (the channel alerts go to)');
  return out;
}

/** The variables in use, secrets masked, for the start-up banner. */
export function describeEnv(e: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(e)) {
    if (v === undefined || (Array.isArray(v) && v.length === 0) || v === '') continue;
    out[k] = SECRET_VARS.includes(k) ? mask(String(v)) : Array.isArray(v) ? v.join(',') : String(v);
  }
  return out;
}

export function mask(secret: string): string {
  if (/^postgres/.test(secret)) return secret.replace(/:\/\/([^:@/]+)(:[^@/]*)?@/, '://$1:***@');
  return secret.length <= 4 ? '****' : `****${secret.slice(-4)}`;
}
