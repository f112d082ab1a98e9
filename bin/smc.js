#!/usr/bin/env node
// Entry of the `smc` CLI (the `smc` command is bin/smc, which starts node on this file with the CLI's
// options). A production build (dist/) runs as plain JavaScript; a checkout runs the TypeScript
// sources through tsx, so `npx smc` works without a build step.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'src', 'cli', 'main.js');
if (process.env.SMC_USE_SOURCE !== '1' && existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}
