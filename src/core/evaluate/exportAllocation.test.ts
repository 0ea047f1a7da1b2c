/**
 * The Node export (npm run export) with GPTQ rounding writes the weights the studio's simulation rounds:
 * the same codes as the studio's path (buildRoundedSamParametric → exportQuantizedSam) on the same
 * calibration images, and other codes than round-to-nearest. With bias correction it writes the studio's
 * corrected biases, and its own check (the simulation of the settings) sees them too.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadModelFiles } from '../../../tools/analyzeInputs';
import { promptsOfImage } from '../analysis/analysisKeys';
import { calibrate, prepareSam } from '../analysis/analysisModel';
import { defaultAnalysisSettings } from '../analysis/settings';
import { REFERENCE_SESSION_OPTIONS, type OrtModule } from '../onnx/ort';
import { decodeModel } from '../onnx/proto';
import { readIntTensor } from '../onnx/tensor';
import { calibrationScenes } from '../study/scenes';
import { correctedBiasName } from '../quant/bias-correction';
import { calibrateForExport, exportAllocation, simulationOfSettings, writeExport, type UnitSettings } from './exportAllocation';
import { verifySamExport } from './verifySamExport';
import { buildRoundedSamParametric, QuantizedSam } from './quantizedSam';
import { exportQuantizedSam } from './samExport';

const ortModule = ort as unknown as OrtModule;

/** Stored weight codes of an exported graph, by the name of the node that dequantizes them. */
function weightCodes(bytes: Uint8Array): Map<string, number[]> {
  const graph = decodeModel(bytes).graph!;
  const byName = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const out = new Map<string, number[]>();
  for (const node of graph.node ?? []) {
    if (node.opType === 'DequantizeLinear' && node.name?.endsWith('/weight/DequantizeLinear')) out.set(node.name, readIntTensor(byName.get(node.input![0])!));
  }
  return out;
}

describe('npm run export with GPTQ rounding', () => {
  it('writes the studio simulation’s GPTQ codes, which differ from the nearest ones', { timeout: 300_000 }, async () => {
    const files = await loadModelFiles({});
    const sam = prepareSam(files);
    const settings = { ...defaultAnalysisSettings, promptsPerImage: 4 };
    const items = calibrationScenes(1).map((entry) => ({ image: entry.image, prompts: promptsOfImage(entry, settings) }));
    // Weights only at 3 and 4 bits over the decoder's weight units: no activation range enters.
    const decoderUnits = sam.probedUnits.filter((u) => u.graph === 'decoder' && u.kind === 'weight');
    const unitSettings: UnitSettings = Object.fromEntries(decoderUnits.map((u, i) => [u.id, { wBits: 3 + (i % 2), aBits: null }]));
    const gptq = await exportAllocation(ortModule, files, unitSettings, items, { profile: 'exact', weightRounding: 'gptq' });
    const nearest = await exportAllocation(ortModule, files, unitSettings, items, { profile: 'exact' });

    const facts = await calibrate({ ort: ortModule, sam, items });
    const parametric = await buildRoundedSamParametric({ ort: ortModule, sam, facts, weightBits: [3, 4], rounding: 'gptq', items });
    const allocation = Object.fromEntries(sam.probedUnits.filter((u) => u.graph === 'decoder').map((u) => [u.id, unitSettings[u.id]?.wBits ?? null]));
    const studio = exportQuantizedSam(sam, { ...parametric }, allocation, { encoder: files.encoder.byteLength, decoder: files.decoder.byteLength });

    const [cli, rtn, simulated] = [weightCodes(gptq.decoder.bytes), weightCodes(nearest.decoder.bytes), weightCodes(studio.decoder.bytes)];
    expect(cli.size).toBe(decoderUnits.length);
    let changed = 0;
    let total = 0;
    for (const [name, codes] of cli) {
      expect(codes).toEqual(simulated.get(name));
      const other = rtn.get(name)!;
      changed += codes.filter((q, i) => q !== other[i]).length;
      total += codes.length;
    }
    console.info(`decoder W3/W4 export: GPTQ changed ${changed} of ${total} weight codes from nearest (${((100 * changed) / total).toFixed(1)} %)`);
    expect(changed / total).toBeGreaterThan(0.01);
  });
});

/** Float initializers of an exported graph whose names end in ".bias_corrected". */
function correctedBiases(bytes: Uint8Array): Map<string, Float32Array> {
  const graph = decodeModel(bytes).graph!;
  return new Map((graph.initializer ?? []).filter((t) => t.name?.endsWith('.bias_corrected')).map((t) => [t.name!, new Float32Array(t.rawData!.slice().buffer)]));
}

describe('npm run export with bias correction', () => {
  it('writes the studio simulation’s corrected biases, and its check against the corrected simulation holds exactly', { timeout: 300_000 }, async () => {
    const files = await loadModelFiles({});
    const sam = prepareSam(files);
    const settings = { ...defaultAnalysisSettings, promptsPerImage: 4 };
    const items = calibrationScenes(1).map((entry) => ({ image: entry.image, prompts: promptsOfImage(entry, settings) }));
    // Every decoder unit at 3 or 4 bits, weights and activations alike (a studio allocation).
    const decoderUnits = sam.probedUnits.filter((u) => u.graph === 'decoder');
    const allocation = Object.fromEntries(decoderUnits.map((u, i) => [u.id, 3 + (i % 2)]));
    const unitSettings: UnitSettings = Object.fromEntries(decoderUnits.map((u) => [u.id, { wBits: u.kind === 'weight' ? allocation[u.id] : null, aBits: allocation[u.id] }]));
    const calibrated = await calibrateForExport(ortModule, files, items, { biasCorrection: true, check: unitSettings });
    const cli = writeExport(calibrated, unitSettings, { profile: 'exact' });
    const plain = await exportAllocation(ortModule, files, unitSettings, items, { profile: 'exact' });

    const facts = await calibrate({ ort: ortModule, sam, items });
    const parametric = await buildRoundedSamParametric({ ort: ortModule, sam, facts, weightBits: [3, 4], rounding: 'nearest', biasCorrection: true, items });
    const studio = exportQuantizedSam(sam, parametric, allocation, { encoder: files.encoder.byteLength, decoder: files.decoder.byteLength });

    const [fromCli, fromStudio] = [correctedBiases(cli.decoder.bytes), correctedBiases(studio.decoder.bytes)];
    const corrected = decoderUnits.filter((u) => parametric.decoder!.biasCorrection!.tables.has(u.id));
    expect(corrected.length).toBeGreaterThan(10);
    expect([...fromCli.keys()].sort()).toEqual(corrected.map((u) => correctedBiasName(u.id)).sort());
    let moved = 0;
    for (const [name, bias] of fromCli) {
      // Same calibration, same means, same float64 sums: the same float32 biases.
      expect(Array.from(bias)).toEqual(Array.from(fromStudio.get(name)!));
      moved += bias.some((v) => v !== 0) ? 1 : 0;
    }
    expect(moved).toBe(fromCli.size);
    expect(correctedBiases(plain.decoder.bytes).size).toBe(0);

    // The CLI's check compares the file with the simulation of its settings: corrected there too, so ≡ 0.
    const simulation = simulationOfSettings(calibrated, unitSettings);
    if (!('parametric' in simulation)) throw new Error(simulation.reason);
    expect(simulation.parametric.decoder!.biasCorrection).not.toBeNull();
    const runner = await QuantizedSam.create(ortModule, calibrated.sam, simulation.parametric, REFERENCE_SESSION_OPTIONS);
    try {
      const check = await verifySamExport(runner, { encoder: cli.encoder.bytes, decoder: cli.decoder.bytes }, simulation.allocation, items[0]);
      expect(check.endToEnd.maxAbsError).toBe(0);
    } finally {
      await runner.release();
    }
  });
});
