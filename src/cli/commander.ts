// commander, loaded through require: it is CommonJS, and required it skips the ESM loader's
// translation of its modules (~3 ms of every start of the CLI).
import { createRequire } from 'node:module';

const commander = createRequire(import.meta.url)('commander') as typeof import('commander');

export const { Command, Option, InvalidArgumentError } = commander;
export type { Command as CommandType } from 'commander';
