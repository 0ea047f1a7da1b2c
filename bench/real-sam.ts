/**
 * A real SAM export through the studio, stage by stage, in Node and in Chromium: wall time and peak
 * memory of load, unit discovery, calibration, the first probe, probing (probes/s), the instant
 * allocation at the 4-bit budget, export and the export check, beside a plain FP encoder + decoder
 * forward of the same model, with each stage's peak as a multiple of the plain forward's.
 *
 *   npm run bench:real-sam -- --model DIR [--where node,chromium] [--images 1] [--prompts 4] [--mode fast|exact]
 *        [--scope all|decoder] [--probe-limit N] [--image-files a.jpg,b.jpg] [--threads N] [--dist dist-real-sam]
 *        [--build] [--port 4297] [--stall-timeout 900] [--max-rss-gb N] [--out FILE.json] [--verbose]
 *
 * DIR holds encoder.onnx and decoder.onnx (and optionally model.json), e.g. ../shared/fixtures/mobilesam-random.
 * Node runs the plain forward and the pipeline each in a child process of its own (bench/realSamNodeChild.ts);
 * Chromium drives the studio built in --dist (built first when missing or older than the sources, or always
 * with --build) as a person would (bench/realSamChromium.ts). Images: the photos of ../shared/data/images beside the repository unless
 * --image-files says otherwise. A stage that fails is shown as FAILED with its error; later stages are "·".
 * --probe-limit stops probing after N probes (probes/s and the probing peak are still measured; a large
 * encoder's full analysis takes long: ViT-B runs ~4 s per encoder forward on 2 cores). A Node process or
 * Chromium tab whose RSS passes --max-rss-gb (default 3/4 of the memory available at start) is stopped and
 * its stage reported as failed, before the kernel's OOM killer picks a process of its own choosing.
 */
import { spawnSync, fork } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChromium } from './realSamChromium';
import { availableMemoryBytes, mib, watchRss } from './realSamMemory';
import { firstLine, formatMs, pipelineStages, plainStages, stageLabels, type ChildMessage, type NodeJob, type RunReport, type StageKey, type StageRecord } from './realSamStages';
import { formatTable } from './realSamTable';

const usage = `usage: npm run bench:real-sam -- --model DIR [--where node,chromium] [--images 1] [--prompts 4] [--mode fast|exact]
       [--scope all|decoder] [--probe-limit N] [--image-files a.jpg,b.jpg] [--threads N] [--dist dist-real-sam] [--build]
       [--port 4297] [--stall-timeout 900] [--max-rss-gb N] [--out FILE.json] [--verbose]`;

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const invokedFrom = process.cwd();
const argPath = (path: string) => resolve(invokedFrom, path);

function parseArgs(argv: readonly string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (!flag.startsWith('--')) throw new Error(`unexpected argument "${flag}"\n${usage}`);
    const name = flag.slice(2);
    if (name === 'build' || name === 'help' || name === 'verbose') args.set(name, 'true');
    else if (i + 1 >= argv.length) throw new Error(`--${name} needs a value\n${usage}`);
    else args.set(name, argv[++i]);
  }
  return args;
}

function wholeNumber(args: Map<string, string>, name: string, fallback: number): number {
  const text = args.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number ≥ 1, got "${text}"`);
  return value;
}

function oneOf<T extends string>(args: Map<string, string>, name: string, choices: readonly T[], fallback: T): T {
  const value = (args.get(name) ?? fallback) as T;
  if (!choices.includes(value)) throw new Error(`--${name} must be one of ${choices.join(', ')}, got "${value}"`);
  return value;
}

/** Runs one Node job in a child process; its stage records arrive as they finish, so a crash keeps them. */
function runNodeChild(job: NodeJob, label: string, maxRssBytes: number): Promise<{ records: StageRecord[]; notes: string[]; cumulative: boolean }> {
  return new Promise((done) => {
    const records: StageRecord[] = [];
    const notes: string[] = [];
    let cumulative = false;
    let running: StageKey | null = null;
    let runningSince = 0;
    let lastError = '';
    const child = fork(fileURLToPath(new URL('./realSamNodeChild.ts', import.meta.url)), [JSON.stringify(job)], {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stoppedAt: number | null = null;
    const stopWatching = watchRss(
      () => (child.pid ? [child.pid] : []),
      maxRssBytes,
      (_, bytes) => {
        stoppedAt = bytes;
        child.kill('SIGKILL');
      },
    );
    const relay = (chunk: Buffer) => {
      const text = chunk.toString();
      lastError = text.trim().split('\n').pop() ?? lastError;
      process.stderr.write(text.replace(/^(?=.)/gm, `  [${label}] `));
    };
    child.stdout?.on('data', relay);
    child.stderr?.on('data', relay);
    child.on('message', (message: ChildMessage) => {
      if (message.kind === 'begin') {
        running = message.stage;
        runningSince = Date.now();
        process.stderr.write(`[${label}] ${stageLabels[message.stage]} …\n`);
      } else if (message.kind === 'stage') {
        running = null;
        records.push(message.record);
        const r = message.record;
        process.stderr.write(`[${label}] ${stageLabels[r.stage]}: ${r.status === 'failed' ? `FAILED (${r.error})` : `${formatMs(r.wallMs)}, peak ${mib(r.peakBytes)}`}\n`);
      } else if (message.kind === 'note') notes.push(message.text);
      else if (message.kind === 'end') cumulative = message.cumulativePeaks;
    });
    child.on('exit', (code, signal) => {
      stopWatching();
      if (running) {
        const why =
          stoppedAt !== null
            ? `stopped by the bench at ${mib(stoppedAt)} RSS (limit ${mib(maxRssBytes)}, --max-rss-gb)`
            : signal
              ? `the process was killed by ${signal}${signal === 'SIGKILL' ? ' (out of memory?)' : ''}`
              : `the process exited with code ${code}: ${lastError}`;
        records.push({ stage: running, status: 'failed', wallMs: Date.now() - runningSince, peakBytes: stoppedAt, startBytes: null, detail: '', error: why });
      }
      done({ records, notes, cumulative });
    });
  });
}

async function runNode(base: Omit<NodeJob, 'kind'>, model: string, maxRssBytes: number): Promise<RunReport> {
  const plain = await runNodeChild({ ...base, kind: 'plain' }, 'node plain', maxRssBytes);
  const pipeline = await runNodeChild({ ...base, kind: 'pipeline' }, 'node', maxRssBytes);
  const records = [...plain.records, ...pipeline.records];
  const seen = new Set(records.map((record) => record.stage));
  for (const stage of [...plainStages, ...pipelineStages]) {
    if (!seen.has(stage)) records.push({ stage, status: 'skipped', wallMs: null, peakBytes: null, startBytes: null, detail: 'not reached' });
  }
  const notes = [`onnxruntime-node, ${base.threads ? `${base.threads} threads` : 'default threads'}; plain forward and pipeline each in a process of its own`, ...plain.notes.map((note) => `plain: ${note}`), ...pipeline.notes];
  return { where: 'node', model, stages: records, notes, cumulativePeaks: plain.cumulative || pipeline.cumulative };
}

/** Newest modification time of the files under `path` (ms). */
function newestMtime(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** A build older than the studio's sources (others may be editing them) would measure yesterday's code. */
function buildIsStale(dist: string): boolean {
  const built = statSync(join(dist, 'index.html'), { throwIfNoEntry: false });
  if (!built) return true;
  return ['src', 'public', 'index.html', 'vite.config.ts', 'package.json'].some((path) => newestMtime(join(repoRoot, path)) > built.mtimeMs);
}

function defaultPhotos(): string[] {
  const folder = resolve(repoRoot, '..', 'shared', 'data', 'images');
  return ['dog.jpg', 'truck.jpg'].map((name) => join(folder, name)).filter((path) => existsSync(path));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.has('help') || !args.has('model')) {
    console.log(usage);
    if (!args.has('help')) process.exitCode = 1;
    return;
  }
  const modelDir = argPath(args.get('model')!);
  for (const file of ['encoder.onnx', 'decoder.onnx']) if (!existsSync(join(modelDir, file))) throw new Error(`${modelDir} has no ${file}`);
  const where = (args.get('where') ?? 'node,chromium').split(',').map((part) => part.trim());
  for (const entry of where) if (entry !== 'node' && entry !== 'chromium') throw new Error(`--where takes node and/or chromium, got "${entry}"`);
  const imageFiles = args.get('image-files')?.split(',').filter(Boolean).map(argPath) ?? defaultPhotos();
  if (imageFiles.length === 0) throw new Error('No photos found beside the repository (../shared/data/images): pass --image-files.');
  const threadsText = args.get('threads');
  const base: Omit<NodeJob, 'kind'> = {
    modelDir,
    imageFiles,
    imageCount: wholeNumber(args, 'images', 1),
    prompts: Math.min(16, wholeNumber(args, 'prompts', 4)),
    gridSize: 4,
    mode: oneOf(args, 'mode', ['fast', 'exact'] as const, 'fast'),
    scope: oneOf(args, 'scope', ['all', 'decoder'] as const, 'all'),
    probeLimit: args.has('probe-limit') ? wholeNumber(args, 'probe-limit', 1) : null,
    threads: threadsText ? wholeNumber(args, 'threads', 2) : null,
  };
  const model = basename(modelDir);
  // The preview server and the build run from the repository root, whatever the caller's directory.
  process.chdir(repoRoot);

  const reports: RunReport[] = [];
  // A run is stopped before it takes the machine's memory (default: 3/4 of what is available now).
  const maxRssBytes = args.has('max-rss-gb') ? Number(args.get('max-rss-gb')) * 2 ** 30 : 0.75 * (availableMemoryBytes() ?? 16 * 2 ** 30);
  if (!(maxRssBytes > 0)) throw new Error(`--max-rss-gb must be a positive number, got "${args.get('max-rss-gb')}"`);
  if (where.includes('node')) reports.push(await runNode(base, model, maxRssBytes));
  if (where.includes('chromium')) {
    const dist = argPath(args.get('dist') ?? 'dist-real-sam');
    if (args.has('build') || buildIsStale(dist)) {
      process.stderr.write(`[chromium] building the studio into ${dist} …\n`);
      const build = spawnSync('npx', ['vite', 'build', '--outDir', dist, '--emptyOutDir'], { stdio: ['ignore', 'ignore', 'inherit'] });
      if (build.status !== 0) process.stderr.write(`[chromium] vite build failed (exit ${build.status ?? build.signal})\n`);
    }
    process.stderr.write('[chromium] driving the studio …\n');
    const report = await runChromium(
      {
        dist,
        port: wholeNumber(args, 'port', 4297),
        modelDir,
        imageFiles,
        imageCount: base.imageCount,
        prompts: base.prompts,
        mode: base.mode,
        scope: base.scope,
        probeLimit: base.probeLimit,
        threads: base.threads ?? 2,
        stallMs: wholeNumber(args, 'stall-timeout', 900) * 1000,
        maxRssBytes,
        verbose: args.has('verbose'),
      },
      model,
    );
    for (const record of report.stages.filter((r) => r.status !== 'skipped')) {
      process.stderr.write(`[chromium] ${stageLabels[record.stage]}: ${record.status === 'failed' ? `FAILED (${record.error})` : `${formatMs(record.wallMs)}, tab peak ${mib(record.peakBytes)}`}\n`);
    }
    reports.push(report);
  }

  const settings = `${base.imageCount} image(s) × ${base.prompts} prompts, ${base.mode} σ, scope ${base.scope}${base.probeLimit ? `, probe limit ${base.probeLimit}` : ''}`;
  console.log(formatTable(`${model}: ${settings}`, reports));
  const out = args.get('out');
  if (out) {
    await mkdir(dirname(argPath(out)), { recursive: true });
    await writeFile(argPath(out), `${JSON.stringify({ model: modelDir, settings: base, reports }, null, 1)}\n`);
    console.log(`\nWritten to ${argPath(out)}`);
  }
}

main().catch((error: unknown) => {
  console.error(firstLine(error));
  process.exit(1);
});
