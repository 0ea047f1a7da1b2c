/**
 * The studio's export sequence (checkedExport.ts) with onnxruntime-node on the demo SAM: stages in order, the
 * exact file verified and checked as deployed, and a cancel mid-way still releasing the simulation's sessions.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { calibrate, prepareSam, type PreparedSam } from '../analysis/analysisModel';
import type { OrtModule } from '../onnx/ort';
import { CancelledError } from '../progress';
import { generateScene } from '../synth/scene';
import { checkedExport, CHECKED_EXPORT_STAGES, type CheckedExportArgs } from './checkedExport';
import { evaluationItems, type EvaluationItem } from './evaluationItems';
import { buildSamParametric, type SamParametric } from './quantizedSam';

const ortModule = ort as unknown as OrtModule;
const demoBytes = (file: string) => new Uint8Array(readFileSync(new URL(`../../../public/models/demo-sam/${file}`, import.meta.url)));
const files = { encoder: demoBytes('encoder.onnx'), decoder: demoBytes('decoder.onnx'), config: { inputSize: 256, lowResSize: 64 } };

let sam: PreparedSam;
let item: EvaluationItem;
let parametric: SamParametric;

beforeAll(async () => {
  sam = prepareSam(files);
  const scene = generateScene(5, { size: 256 });
  [item] = evaluationItems([{ name: 'scene 5', image: { width: 256, height: 256, data: scene.rgba }, truth: [] }], 4, 4);
  parametric = buildSamParametric(sam, await calibrate({ ort: ortModule, sam, items: [item] }), [4, 8]);
}, 120_000);

const args = (overrides: Partial<CheckedExportArgs>): CheckedExportArgs => ({
  ort: ortModule,
  sam,
  parametric,
  allocation: Object.fromEntries(sam.probedUnits.map((unit) => [unit.id, 8])),
  fpFileBytes: { encoder: files.encoder.byteLength, decoder: files.decoder.byteLength },
  profile: 'exact',
  item,
  sessionOptions: {},
  queue: (work) => work(),
  step: async () => {},
  ...overrides,
});

describe('checkedExport', () => {
  it('writes, verifies and checks as deployed, reporting each stage in order', async () => {
    const stages: number[] = [];
    const result = await checkedExport(args({ step: async (_, done) => void stages.push(done) }));
    expect([...new Set(stages)]).toEqual([0, 1, 2, 3, 4]);
    expect(Math.max(...stages)).toBe(CHECKED_EXPORT_STAGES - 1);
    expect(result.verification.endToEnd.maxAbsError).toBe(0);
    expect(result.deployed.iouByPrompt).toHaveLength(item.prompts.length);
    expect(result.deployed.latency!.rounds).toBeGreaterThanOrEqual(2);
    expect(result.encoder.sizes.fileBytes).toBeLessThan(files.encoder.byteLength);
  }, 120_000);

  it('stops at a cancel and still releases the simulation (its cleanup step runs)', async () => {
    const ran: string[] = [];
    const cancelAt = 3;
    const run = checkedExport(
      args({
        queue: (work, cleanup) => {
          ran.push(cleanup ? 'cleanup' : 'run');
          return work();
        },
        step: async (_, done) => {
          if (done === cancelAt) throw new CancelledError('Export cancelled.');
        },
      }),
    );
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    // Sessions created, verified, then the cancel: no deployed check, and the release ran last.
    expect(ran).toEqual(['run', 'run', 'cleanup']);
  }, 120_000);
});
