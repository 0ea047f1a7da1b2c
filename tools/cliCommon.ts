/**
 * What the headless commands (solve, eval) share: flag parsing, reading JSON input files with a message that
 * names the file and what is wrong, progress lines a log file can hold, and the one way they fail: a message
 * on stderr and exit code 1 (2 for a wrong command line).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseResultsFile, type AnalysisResultsFile } from '../src/core/analysis/resultsFile';
import { explainError } from '../src/core/userErrors';

/** A mistake in the input the user can fix; its message is printed as is. */
export class InputError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'InputError';
  }
}

export interface ParsedArgs {
  values: Map<string, string[]>;
  flags: Set<string>;
}

/** `--name value [value …]` and bare `--flag`s (those named in `flags`); anything else is a usage error. */
export function parseArgs(argv: readonly string[], usage: string, flags: readonly string[]): ParsedArgs {
  const values = new Map<string, string[]>();
  const set = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    if (!key.startsWith('--')) throw new InputError(`unexpected argument "${key}"\n${usage}`, 2);
    const name = key.slice(2);
    if (flags.includes(name)) {
      set.add(name);
      continue;
    }
    const list: string[] = [];
    while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) list.push(argv[++i]);
    if (list.length === 0) throw new InputError(`--${name} needs a value\n${usage}`, 2);
    values.set(name, list);
  }
  return { values, flags: set };
}

export function single(args: ParsedArgs, name: string): string | undefined {
  const list = args.values.get(name);
  if (list && list.length > 1) throw new InputError(`--${name} takes one value, got ${list.length}: ${list.join(' ')}`, 2);
  return list?.[0];
}

export function required(args: ParsedArgs, name: string, usage: string): string {
  const value = single(args, name);
  if (value === undefined) throw new InputError(`--${name} is required\n${usage}`, 2);
  return value;
}

/** A number flag, or `fallback` when absent; `off` gives null where `allowOff`. */
export function numberFlag(args: ParsedArgs, name: string, fallback: number | null, options: { allowOff?: boolean; integer?: boolean; min?: number } = {}): number | null {
  const text = single(args, name);
  if (text === undefined) return fallback;
  if (options.allowOff && text === 'off') return null;
  const value = Number(text);
  const ok = Number.isFinite(value) && (!options.integer || Number.isInteger(value)) && value >= (options.min ?? -Infinity);
  if (!ok) {
    const kind = options.integer ? 'a whole number' : 'a number';
    throw new InputError(`--${name} must be ${kind}${options.min !== undefined ? ` of at least ${options.min}` : ''}${options.allowOff ? ' (or off)' : ''}, got "${text}"`, 2);
  }
  return value;
}

/** Parsed JSON of a file; a missing file or broken JSON is an InputError naming the file. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `The ${what} ${path} does not exist.` : `Cannot read the ${what} ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`The ${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

export async function writeJsonFile(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 1)}\n`);
}

/** One progress line on stderr, prefixed with the command: "[solve] …". */
export function logLine(command: string, quiet: boolean): (text: string) => void {
  return (text) => {
    if (!quiet) process.stderr.write(`[${command}] ${text}\n`);
  };
}

/** Runs a command's main: an InputError prints its message, anything else is explained (core/userErrors.ts). */
export function runCommand(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof InputError) {
      console.error(error.message);
      process.exit(error.exitCode);
    }
    const explained = explainError(error, { backend: 'node' });
    if (explained.kind === 'unknown') console.error(explained.detail);
    else console.error([`${explained.title}.`, 'What to do:', ...explained.advice.map((step) => `  - ${step}`), `Original error: ${explained.detail.trim()}`].join('\n'));
    process.exit(1);
  });
}

/** An analysis results file (core/analysis/resultsFile.ts) from disk; anything wrong with it is an InputError. */
export async function readAnalysisFile(path: string): Promise<AnalysisResultsFile> {
  const json = await readJsonFile(path, 'analysis results file');
  try {
    return parseResultsFile(json);
  } catch (error) {
    throw new InputError(`${path}: ${(error as Error).message}`);
  }
}
