/** Runs one of the headless commands (tools/*.ts) as its own Node process, as a shell or CI would, for tests. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
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

/** A command started in the background (a queue worker, a coordinator), its output watched as it comes. */
export interface StartedTool {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** Resolves when the output matches; rejects after `timeoutMs` or when the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** The exit code (signal deaths give 128 + the signal's number, as a shell says). */
  exited: Promise<number>;
}

const signalNumbers: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export function startTool(script: string, args: readonly string[]): StartedTool {
  const child = spawn(process.execPath, ['--import', 'tsx', `tools/${script}`, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? 128 + (signalNumbers[signal ?? ''] ?? 0))));
  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(text)) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${script} printed no ${pattern} in ${timeoutMs} ms:\n${text.slice(-3000)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      void exited.then((code) => {
        if (!listeners.has(check)) return;
        check();
        if (!listeners.has(check)) return;
        done();
        reject(new Error(`${script} exited (${code}) before printing ${pattern}:\n${text.slice(-3000)}`));
      });
      check();
    });
  return { child, output: () => text, waitFor, exited };
}
