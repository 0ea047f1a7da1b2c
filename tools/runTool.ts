/** Runs one of the headless commands (tools/*.ts) as its own Node process, as a shell or CI would, for tests. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runTool(script: string, args: readonly string[]): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', `tools/${script}`, ...args], { cwd: repoRoot, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
