/**
 * The whole pipeline on a SAM the project did not make: MobileSAM (TinyViT encoder, Meta's decoder with
 * its prompt batch fixed at 1) exported by its authors' code with random seeded weights
 * (../shared/fixtures/mobilesam-random). Analysis (fast, T = 1, 2 prompts, a few units of each part),
 * an instant solve at a 4-bit budget, export, and export ≡ simulation in onnxruntime-node.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { solveInstant } from '../allocate';
import { runAnalysis, type AnalysisImage } from '../analysis/analysisEngine';
import { prepareSam, type CalibrationFacts } from '../analysis/analysisModel';
import { MemoryAnalysisStore } from '../analysis/analysisStore';
import { defaultAnalysisSettings, type AnalysisSettings } from '../analysis/settings';
import type { OrtModule } from '../onnx/ort';
import { allocationByUnit, buildAllocationProblem, defaultBudgetSettings } from '../../state/budgetProblem';
import { imageFromFile } from '../../../tools/analyzeInputs';
import { exportQuantizedSam } from './samExport';
import { buildSamParametric, QuantizedSam } from './quantizedSam';
import { verifySamExport } from './verifySamExport';

const fixture = fileURLToPath(new URL('../../../../shared/fixtures/mobilesam-random/', import.meta.url));
const present = existsSync(`${fixture}encoder.onnx`) && existsSync(`${fixture}decoder.onnx`);
if (!present) console.log(`MobileSAM fixture not found at ../shared/fixtures/mobilesam-random: real-SAM pipeline tests skipped.`);
const ortModule = ort as unknown as OrtModule;

describe.skipIf(!present)('MobileSAM exported by its authors (fixed prompt batch, TinyViT)', () => {
  it('analyses, solves, exports, and the exported files equal the simulation', { timeout: 600_000 }, async () => {
    const files = { encoder: new Uint8Array(await readFile(`${fixture}encoder.onnx`)), decoder: new Uint8Array(await readFile(`${fixture}decoder.onnx`)) };
    const sam = prepareSam(files);
    expect(sam.decoderIo.promptBatch).toBe(1);
    const image: AnalysisImage = await imageFromFile(fileURLToPath(new URL('../../../../shared/data/images/dog.jpg', import.meta.url)));
    // A few units of each part: the first two weight units of the encoder's attention stage, an attention
    // matmul, and three decoder units.
    const encoderUnits = sam.probedUnits.filter((u) => u.graph === 'encoder');
    const picked = new Set([
      ...encoderUnits.filter((u) => u.part.includes('stage 1')).slice(0, 3).map((u) => u.id),
      ...sam.probedUnits.filter((u) => u.graph === 'decoder').slice(0, 3).map((u) => u.id),
    ]);
    const settings: AnalysisSettings = { ...defaultAnalysisSettings, imageCount: 1, promptsPerImage: 2, sensitivityMode: 'fast', maxEncoderSegments: 2 };
    const store = new MemoryAnalysisStore();
    const { results, stats } = await runAnalysis(files, [image], settings, { ort: ortModule, store, unitFilter: (unit) => picked.has(unit.id) });
    expect(results.complete).toBe(true);
    expect(results.units.map((u) => u.id).sort()).toEqual([...picked].sort());
    expect(stats.probesRun).toBe(picked.size * 3);
    // Two prompts on a decoder that takes one per run: the probes of a decoder unit see both (KL > 0).
    for (const unit of results.units.filter((u) => u.graph === 'decoder')) expect(unit.importance).toBeGreaterThan(0);
    const encoderSigma = results.units.filter((u) => u.graph === 'encoder').map((u) => u.sensitivity[0]);
    expect(Math.max(...encoderSigma)).toBeGreaterThan(0);

    const facts = (await store.load(results.runKey)).get('calibration') as unknown as CalibrationFacts;
    const built = buildAllocationProblem(results, { ...defaultBudgetSettings, sizeAverageBits: 4, bopsAverageBits: 4 }, {});
    const answer = solveInstant(built.problem);
    expect(answer.bits).not.toBeNull();
    const allocation = allocationByUnit(built.unitIds, answer.bits!, built.problem.locks ?? [], results.excludedUnits.map((u) => u.id));
    const widths = [...new Set(Object.values(allocation).filter((b): b is number => typeof b === 'number'))];
    expect(widths.length).toBeGreaterThan(0);

    const parametric = buildSamParametric(sam, facts, widths);
    const simulation = await QuantizedSam.create(ortModule, sam, parametric, { graphOptimizationLevel: 'disabled' });
    try {
      const exported = exportQuantizedSam(sam, parametric, allocation, { encoder: files.encoder.byteLength, decoder: files.decoder.byteLength });
      expect(exported.encoder.bytes.byteLength).toBeLessThan(files.encoder.byteLength);
      const prompts = [
        { kind: 'point', x: 120, y: 90, positive: true },
        { kind: 'box', x0: 40, y0: 30, x1: 300, y1: 250 },
      ] as const;
      const check = await verifySamExport(simulation, { encoder: exported.encoder.bytes, decoder: exported.decoder.bytes }, allocation, { image: image.image, prompts: [...prompts] });
      expect(check.prompts).toBe(2);
      expect(check.encoder.maxAbsError).toBe(0);
      expect(check.endToEnd.maxAbsError).toBe(0);
      expect(check.maxAbsErrorAllOutputs).toBe(0);
    } finally {
      await simulation.release();
    }
  });
});
