// A pino logger that keeps its JSON lines in memory, to assert what was (and was not) logged.
import pino, { type Logger } from 'pino';
import { Writable } from 'node:stream';

export function captureLogger(): { logger: Logger; lines: () => Record<string, any>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = pino({ level: 'debug', base: undefined }, stream);
  const text = () => chunks.join('');
  return { logger, text, lines: () => text().split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}
