// One pino logger for the process. Secrets never reach it: known secret keys are redacted and
// the values of secret environment variables are scrubbed from every message.
import pino, { type Logger } from 'pino';

const REDACT = [
  'key', 'secret', 'apiKey', 'api_key', 'apiSecret', 'token', 'password', 'authorization',
  '*.key', '*.secret', '*.apiKey', '*.apiSecret', '*.token', '*.password', '*.authorization',
  'headers.authorization', '*.headers.authorization', '*.headers["x-bapi-api-key"]', '*.headers["x-bapi-sign"]',
];

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', secrets: string[] = []): Logger {
  const values = secrets.filter((s) => s && s.length >= 6);
  return pino({
    level,
    base: undefined,
    redact: { paths: REDACT, censor: '[redacted]' },
    hooks: values.length
      ? {
          logMethod(args, method) {
            const scrub = (x: unknown): unknown => (typeof x === 'string' ? values.reduce((s, v) => s.split(v).join('[redacted]'), x) : x);
            method.apply(this, args.map(scrub) as Parameters<typeof method>);
          },
        }
      : {},
  });
}

export const silentLogger: Logger = pino({ level: 'silent' });
export type { Logger };
