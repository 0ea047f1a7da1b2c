import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadModelFiles } from '../../../tools/analyzeInputs';
import type { OrtModule } from '../onnx/ort';
import { calibrationScenes } from '../study/scenes';
import { imageFeeds, prepareSam, promptFeeds } from './analysisModel';
import { promptsOfImage } from './analysisKeys';
import { defaultAnalysisSettings } from './settings';
import { applySamBig, migrateSamEncoder } from './samRewrites';

const ortModule = ort as unknown as OrtModule;

describe('migrateSamEncoder', () => {
  it('rewrites the demo encoder’s LayerNorms and keeps its FP embeddings; the decoder is the same file', { timeout: 120_000 }, async () => {
    const files = await loadModelFiles({});
    const [calibration, heldOut] = [calibrationScenes(2), calibrationScenes(1, 700001)];
    const { files: migrated, report } = await migrateSamEncoder(ortModule, files, calibration, 0.5);
    expect(report.migrated.length).toBeGreaterThan(0);
    expect(migrated.decoder).toBe(files.decoder);
    expect(migrated.encoder).not.toEqual(files.encoder);
    const embed = async (bytes: Uint8Array) => {
      const session = await ort.InferenceSession.create(bytes);
      try {
        return (await session.run(imageFeeds(ortModule, prepareSam(files), heldOut[0].image))).image_embeddings.data as Float32Array;
      } finally {
        await session.release();
      }
    };
    const [before, after] = [await embed(files.encoder), await embed(migrated.encoder)];
    let worst = 0;
    const scale = before.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    for (let i = 0; i < before.length; i++) worst = Math.max(worst, Math.abs(before[i] - after[i]) / scale);
    console.info(`migrated demo encoder: ${report.migrated.length} LayerNorms; held-out embedding max |Δ| / max |x| = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-5);
    expect(worst).toBeGreaterThan(0); // the weights did change
  });

  it('folds BIG into the demo decoder’s token→image attention and keeps its FP masks', { timeout: 120_000 }, async () => {
    const files = await loadModelFiles({});
    const settings = { ...defaultAnalysisSettings, promptsPerImage: 4 };
    const items = calibrationScenes(2).map((entry) => ({ image: entry.image, prompts: promptsOfImage(entry, settings) }));
    const { files: rewritten, report } = await applySamBig(ortModule, files, items);
    expect(rewritten.encoder).toBe(files.encoder);
    console.info(`BIG on the demo decoder: ${JSON.stringify(report.map((site) => ({ ...site })))}`);
    expect(report.length).toBeGreaterThan(0);
    const sam = prepareSam(files);
    const heldOut = calibrationScenes(1, 700001).map((entry) => ({ image: entry.image, prompts: promptsOfImage(entry, settings) }))[0];
    const encoder = await ort.InferenceSession.create(files.encoder);
    const embedding = (await encoder.run(imageFeeds(ortModule, sam, heldOut.image))).image_embeddings;
    await encoder.release();
    const masks = async (bytes: Uint8Array) => {
      const session = await ort.InferenceSession.create(bytes);
      try {
        return (await session.run({ ...promptFeeds(ortModule, sam, heldOut).runs[0], image_embeddings: embedding })).low_res_masks.data as Float32Array;
      } finally {
        await session.release();
      }
    };
    const [before, after] = [await masks(files.decoder), await masks(rewritten.decoder)];
    expect(Array.from(after)).toEqual(Array.from(before));
  });
});
