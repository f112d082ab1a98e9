// Child process for the lockfile test: opens the store of DATA_DIR like `npm start` does,
// prints READY, and holds it until stdin closes. On failure prints the message and exits 1.
import { openStore } from '../../src/storage/open.js';

try {
  const store = await openStore({ DATA_DIR: process.env.DATA_DIR });
  process.stdout.write('READY\n');
  process.stdin.resume();
  process.stdin.on('end', () => { void store.close().then(() => process.exit(0)); });
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
}
