/**
 * The distributed analysis on a real Redis (a redis-server of its own on a free loopback port) with real
 * worker processes (onnxruntime-node, 1 thread each) and the coordinator as `npm run analyze -- --queue`:
 * every probe in the store, and the results file, equal a single-process run's, bit for bit; a worker stopped
 * by SIGTERM hands its job back, one killed by SIGKILL loses no probe and none is measured twice (each probe's
 * save is counted in Redis); a job whose model files differ on the worker fails the run with the worker's message.
 */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../src/core/analysis/analysisEngine';
import { calibrationEntryKey, probeEntryKey } from '../../src/core/analysis/analysisKeys';
import type { AnalysisResults } from '../../src/core/analysis/analysisResults';
import { MemoryAnalysisStore, type StoredValue } from '../../src/core/analysis/analysisStore';
import { parseResultsFile } from '../../src/core/analysis/resultsFile';
import { defaultAnalysisSettings, validateSettings, type AnalysisSettings } from '../../src/core/analysis/settings';
import type { OrtModule } from '../../src/core/onnx/ort';
import { loadModelFiles, sampleScenes } from '../analyzeInputs';
import { startTool, type StartedTool } from '../runTool';
import { connectRedis } from './analysisJobs';
import { RedisAnalysisStore } from './redisAnalysisStore';
import { startRedisServer, type RedisServer } from './redisServer';

interface Reference {
  results: AnalysisResults;
  klByEntry: Map<string, number>;
  calibration: unknown;
}

// As npm run analyze writes them: its results name an uncorrected quantized model.
const base = { ...defaultAnalysisSettings, biasCorrection: false, imageCount: 1, promptsPerImage: 2 };
const allFast: AnalysisSettings = validateSettings({ ...base, sensitivityMode: 'fast', fastProbeBits: [4] });
const decoderFast: AnalysisSettings = validateSettings({ ...base, sensitivityMode: 'fast', scope: 'decoder' });
const cliFlags = (settings: AnalysisSettings) => [
  '--images', '1', '--prompts', '2', '--mode', settings.sensitivityMode, '--fast-bits', settings.fastProbeBits.join(','), ...(settings.scope === 'decoder' ? ['--scope', 'decoder'] : []), '--threads', '1', '--top', '1',
];

/** The single-process analysis, in this process, on one ORT thread as the workers run. */
async function singleProcess(settings: AnalysisSettings): Promise<Reference> {
  const store = new MemoryAnalysisStore();
  const klByEntry = new Map<string, number>();
  const { results } = await runAnalysis(await loadModelFiles({}), sampleScenes(1), settings, {
    ort: ort as unknown as OrtModule,
    store,
    sessionOptions: { intraOpNumThreads: 1 },
    onProbe: (probe) => klByEntry.set(probeEntryKey(probe.imageIndex, probe.unitId, probe.probe), probe.kl),
  });
  return { results, klByEntry, calibration: (await store.load(results.runKey)).get(calibrationEntryKey) };
}

/** One unit measured alone (the unit filter a job uses), on the reference's calibration. */
async function alone(reference: Reference, settings: AnalysisSettings, unitId: string): Promise<Map<string, number>> {
  const store = new MemoryAnalysisStore();
  await store.save(reference.results.runKey, calibrationEntryKey, reference.calibration as StoredValue);
  const klByEntry = new Map<string, number>();
  await runAnalysis(await loadModelFiles({}), sampleScenes(1), settings, {
    ort: ort as unknown as OrtModule,
    store,
    sessionOptions: { intraOpNumThreads: 1 },
    unitFilter: (unit) => unit.id === unitId,
    onProbe: (probe) => klByEntry.set(probeEntryKey(probe.imageIndex, probe.unitId, probe.probe), probe.kl),
  });
  return klByEntry;
}

let redis: RedisServer;
let dir = '';
let referenceAll: Reference;
let referenceDecoder: Reference;
const started: StartedTool[] = [];

/** A short lock where a worker is killed, so its job is found stalled soon; a longer one elsewhere, for loaded machines. */
const worker = (name: string, lockSeconds = 10) => {
  const tool = startTool('analysis-worker.ts', ['--queue', redis.url, '--threads', '1', '--lock-seconds', String(lockSeconds), '--name', name]);
  started.push(tool);
  return tool;
};
const coordinator = (settings: AnalysisSettings, out: string, extra: string[] = []) => {
  const tool = startTool('analyze.ts', ['--queue', redis.url, ...cliFlags(settings), '--out', out, ...extra]);
  started.push(tool);
  return tool;
};

async function storeOf(runKey: string) {
  const connection = await connectRedis(redis.url);
  const store = new RedisAnalysisStore(connection);
  try {
    return { entries: await store.load(runKey), saves: await store.saveCounts(runKey) };
  } finally {
    connection.disconnect();
  }
}

/** Every probe of the reference in the store with the same value, each saved once; the results file equal. */
async function expectSameAsSingleProcess(reference: Reference, out: string) {
  const { entries, saves } = await storeOf(reference.results.runKey);
  expect(reference.klByEntry.size).toBe(reference.results.probesTotal);
  let equal = 0;
  for (const [key, kl] of reference.klByEntry) {
    expect(entries.get(key), key).toBe(kl);
    expect(saves.get(key), key).toBe(1);
    equal++;
  }
  expect(equal).toBe(reference.results.probesTotal);
  const file = parseResultsFile(JSON.parse(await readFile(out, 'utf8')));
  expect(file.results).toEqual(reference.results);
  expect(file.calibration).toEqual(reference.calibration);
}

beforeAll(async () => {
  redis = await startRedisServer();
  dir = await mkdtemp(join(tmpdir(), 'analysis-queue-'));
  referenceAll = await singleProcess(allFast);
  referenceDecoder = await singleProcess(decoderFast);
}, 120_000);

beforeEach(async () => {
  const connection = await connectRedis(redis.url);
  await connection.flushall();
  connection.disconnect();
});

afterAll(async () => {
  for (const tool of started) if (tool.child.exitCode === null) tool.child.kill('SIGKILL');
  await redis?.stop();
});

describe('npm run analyze -- --queue with npm run analysis-worker', () => {
  it('measures a unit alone exactly as in the full run, though its encoder cuts are planned for it alone', async () => {
    const encoderUnits = referenceAll.results.units.filter((unit) => unit.graph === 'encoder');
    expect(encoderUnits.length).toBeGreaterThan(16);
    for (const unit of [encoderUnits[0], encoderUnits[Math.floor(encoderUnits.length / 2)], encoderUnits.at(-1)!, referenceAll.results.units.at(-1)!]) {
      const measured = await alone(referenceAll, allFast, unit.id);
      expect(measured.size).toBe(2);
      for (const [key, kl] of measured) expect(kl, key).toBe(referenceAll.klByEntry.get(key));
    }
  });

  it('2 workers + coordinator equal the single-process analysis probe for probe; a SIGTERM hands the job back', async () => {
    const out = join(dir, 'all-fast.json');
    const [first, second] = [worker('w1'), worker('w2')];
    await Promise.all([first.waitFor(/waiting for jobs/), second.waitFor(/waiting for jobs/)]);
    const run = coordinator(allFast, out, ['--units-per-job', '12']);
    // Units of both graphs in chunks of 12: encoder probes start from cuts planned per job, not per run.
    // Stopped as it starts its third job: that job goes back to the queue, and w2 measures it.
    await first.waitFor(/w1 · job \S+ done[\s\S]*w1 · job \S+ done[\s\S]*w1 · job \S+ · \d+ units · attempt/, 60_000);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('SIGTERM: stopping after the current forward');
    const handedBack = [...first.output().matchAll(/w1 · job (\S+) back in the queue/g)].map((m) => m[1]);
    expect(await run.exited, run.output()).toBe(0);
    expect(run.output()).toContain('[analyze] calibrating on 1 image(s), once for every worker');
    expect(run.output()).toMatch(/\[analyze\] 7 jobs of up to 12 units enqueued on mix-qsam-analysis: 168 probes to measure, 0 stored/);
    expect(run.output()).toMatch(/\[analyze\] probing \d+\/168 \(\d+%\) · \d+\/7 jobs done/);
    expect(run.output()).toContain('Queue: 7 jobs, 168 probes measured by the workers, calibrated here');
    expect(run.output()).toContain('0 probes measured (168 reused from the cache)');
    expect(second.output()).toMatch(/w2 · job \S+ done · \d+ probes measured/);
    // Handed back without spending an attempt, and finished by w2 (reusing whatever w1 had stored).
    expect(handedBack).toHaveLength(1);
    expect(second.output()).toContain(`w2 · job ${handedBack[0]} · 12 units · attempt 1`);
    expect(second.output()).toMatch(new RegExp(`w2 · job ${handedBack[0]} done · \\d+ probes measured, \\d+ found stored`));
    await expectSameAsSingleProcess(referenceAll, out);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, 90_000);

  it('a worker killed mid-run loses no probe and none is measured twice', async () => {
    const out = join(dir, 'decoder-fast.json');
    const [victim, survivor] = [worker('victim', 5), worker('survivor', 5)];
    await Promise.all([victim.waitFor(/waiting for jobs/), survivor.waitFor(/waiting for jobs/)]);
    const run = coordinator(decoderFast, out, ['--units-per-job', '8', '--attempts', '2']);
    // Killed as it starts its second job, so a job is in flight with the first one's probes stored.
    await victim.waitFor(/victim · job \S+ done[\s\S]*victim · job \S+ · \d+ units · attempt/, 60_000);
    victim.child.kill('SIGKILL');
    await victim.exited;
    // The job the victim held when it died: started, never done.
    const startedJobs = [...victim.output().matchAll(/victim · job (\S+) · \d+ units/g)].map((m) => m[1]);
    const doneJobs = new Set([...victim.output().matchAll(/victim · job (\S+) done/g)].map((m) => m[1]));
    const inFlight = startedJobs.filter((id) => !doneJobs.has(id));
    expect(doneJobs.size).toBeGreaterThan(0);
    expect(await run.exited, run.output()).toBe(0);
    for (const id of inFlight) expect(survivor.output()).toContain(`survivor · job ${id} done`);
    expect(run.output()).toContain('Queue: 6 jobs, 138 probes measured by the workers');
    // Each job done once; its probes measured there or found stored (by the victim before it died): 138 in all.
    const doneLines = [...`${victim.output()}${survivor.output()}`.matchAll(/· job (\S+) done · (\d+) probes measured, (\d+) found stored/g)];
    expect(new Set(doneLines.map((m) => m[1])).size).toBe(doneLines.length);
    expect(doneLines).toHaveLength(6);
    expect(doneLines.reduce((sum, m) => sum + Number(m[2]) + Number(m[3]), 0)).toBe(138);
    // Save counts of exactly 1: no probe the victim had stored was measured again.
    await expectSameAsSingleProcess(referenceDecoder, out);
    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
  }, 90_000);

  it('fails with the worker\'s message when the model files on the worker are not the coordinator\'s', async () => {
    const model = join(dir, 'model');
    await cp('public/models/demo-sam', model, { recursive: true });
    const out = join(dir, 'bad.json');
    const run = coordinator(decoderFast, out, ['--model', model, '--attempts', '2']);
    await run.waitFor(/jobs of up to 8 units enqueued/, 60_000);
    // The workers find other bytes at the job's path than the coordinator read.
    await writeFile(join(model, 'encoder.onnx'), new Uint8Array(1024).fill(7));
    const only = worker('w-bad');
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/Job analysis-[0-9a-f]+\/units-\d+-\d+ \(\d+ units from "decoder:[^"]+"\) failed after 2 attempt\(s\): The model files at .*model on worker w-bad are not the coordinator's/);
    expect(only.output()).toMatch(/w-bad · job \S+ failed \(attempt 2 of 2\)/);
    only.child.kill('SIGTERM');
    expect(await only.exited).toBe(0);
  }, 60_000);
});
