// Runs a Fleetward entry point in this process and, when the process exits, writes its peak resident set
// size and wall time as JSON to file descriptor 3 (the harness in test/support/hostile-repo.ts reads it).
// Usage: node --max-old-space-size=N test/support/measured.ts <module.ts> [args…]
import { writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const started = performance.now();
process.on('exit', () => {
  try {
    writeSync(3, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, ms: Math.round(performance.now() - started) }) + '\n');
  } catch {
    // fd 3 is not open: run by hand, nothing to report.
  }
});
const [target, ...args] = process.argv.slice(2);
process.argv = [process.argv[0]!, target!, ...args];
await import(pathToFileURL(resolve(target!)).href);
