// CI's one plain line, "N passed, N failed", from vitest's JSON report and pytest's JUnit XML.
// A missing report counts as a failure: a suite that did not run must not look green.
import { existsSync, readFileSync } from 'node:fs';

const [vitestJson = 'vitest-report.json', pytestXml = 'pytest-report.xml'] = process.argv.slice(2);
let passed = 0, failed = 0, skipped = 0;

if (existsSync(vitestJson)) {
  const r = JSON.parse(readFileSync(vitestJson, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  if (!r.success && r.numFailedTests === 0) failed += r.numFailedTestSuites || 1; // a file that failed to load
} else failed += 1;

if (existsSync(pytestXml)) {
  const xml = readFileSync(pytestXml, 'utf8');
  for (const m of xml.matchAll(/<testsuite\b([^>]*)>/g)) {
    const attr = (k) => Number((m[1].match(new RegExp(`\\b${k}="(\\d+)"`)) ?? [0, 0])[1]);
    const bad = attr('failures') + attr('errors');
    failed += bad;
    skipped += attr('skipped');
    passed += attr('tests') - bad - attr('skipped');
  }
} else failed += 1;

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
