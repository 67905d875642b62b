// Runs `layerlens …` in this process and captures what it prints: the harness the CLI command tests share.
import { vi } from 'vitest';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A `cli(...argv)` for a test file. Imports the CLI on first use, so that the file's vi.mock of src/cli/util (if any)
 * is in place; `append` goes after every argv (e.g. `--workspace DIR`), `beforeRun` resets the file's stub records,
 * and `lines` ends each printed result with a newline as the real stdout does.
 */
export function cliRunner(opts: { append?: string[]; beforeRun?: () => void; lines?: boolean } = {}): (...argv: string[]) => Promise<CliRun> {
  return async (...argv) => {
    const { main } = await import('../../src/cli/index');
    let stderr = '';
    let stdout = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      stderr += String(s);
      return true;
    });
    opts.beforeRun?.();
    try {
      const code = await main([...argv, ...(opts.append ?? [])], (s) => (stdout += opts.lines ? `${s}\n` : s));
      return { code, stdout, stderr };
    } finally {
      vi.restoreAllMocks();
    }
  };
}
