// Test-only batch driver: runs many CLI invocations through the CLI's own `main` in one process (one CLI start-up
// instead of one per case) and prints one JSON line per case: exit code, what went to stdout and stderr.
// Usage: node --import tsx tests/bad-input/driver.ts <cases.json> <workspace> [per-case timeout ms]
import { readFileSync } from 'node:fs';
import { main } from '../../src/cli/index';

interface DriverCase {
  name: string;
  args: string[];
}

const [casesFile, workspace, timeoutArg] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(casesFile, 'utf8')) as DriverCase[];
const perCase = Number(timeoutArg ?? 60_000);
const emit = process.stdout.write.bind(process.stdout);
const realErr = process.stderr.write.bind(process.stderr);

for (const c of cases) {
  // a line before each case names the culprit if the whole process dies or blocks in it
  emit(`${JSON.stringify({ start: c.name })}\n`);
  let stderr = '';
  let stdout = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((r) => (timer = setTimeout(() => r('hang'), perCase)));
  let code: number | 'hang' | 'threw';
  try {
    code = await Promise.race([main([...c.args, '--workspace', workspace], (s) => (stdout += `${s}\n`)), hang]);
  } catch (e) {
    // main catches everything it can; reaching here is a bug in main itself
    stderr += `driver: main threw ${String(e)}\n`;
    code = 'threw';
  } finally {
    clearTimeout(timer);
    process.stderr.write = realErr;
  }
  emit(`${JSON.stringify({ name: c.name, code, stdout, stderr })}\n`);
}
// a hung case may still hold the event loop (a blocked read); the results are out, so leave
process.exit(0);
