/**
 * The Node export (npm run export) with GPTQ rounding writes the weights the studio's simulation rounds:
 * the same codes as the studio's path (buildRoundedSamParametric → exportQuantizedSam) on the same
 * calibration images, and other codes than round-to-nearest.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadModelFiles } from '../../../tools/analyzeInputs';
import { promptsOfImage } from '../analysis/analysisKeys';
import { calibrate, prepareSam } from '../analysis/analysisModel';
import { defaultAnalysisSettings } from '../analysis/settings';
import type { OrtModule } from '../onnx/ort';
import { decodeModel } from '../onnx/proto';
import { readIntTensor } from '../onnx/tensor';
import { calibrationScenes } from '../study/scenes';
import { exportAllocation, type UnitSettings } from './exportAllocation';
import { buildRoundedSamParametric } from './quantizedSam';
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
