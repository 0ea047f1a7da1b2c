/**
 * Bias correction on the demo SAM's graphs: the mean (not the MSE) output shift of single quantized units
 * at W3A3 / W4A4 shrinks on a held-out image, and the export of a corrected mixed configuration equals its
 * simulation bit for bit (encoder and decoder, nearest and GPTQ codes).
 */
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModelBytes } from '../onnx/proto';
import { toOrtFeeds, type OrtFeeds, type OrtModule } from '../onnx/ort';
import { withExtraOutputs } from '../onnx/rewrite';
import { allocationToConfig, type QuantConfig } from '../quant/config';
import { exportQuantizedModel } from '../quant/export';
import { buildParametricModel, type ParametricModel } from '../quant/parametric';
import type { QuantUnit } from '../quant/units';
import { createReferenceSession, verifyExport } from '../quant/verify';
import { calibrationScenes } from '../study/scenes';
import { loadModelFiles } from '../../../tools/analyzeInputs';
import { calibrate, imageFeeds, parametricOptionsOf, prepareSam, promptFeeds, type CalibrationFacts, type CalibrationItem, type PreparedSam } from './analysisModel';
import { promptsOfImage } from './analysisKeys';
import { defaultAnalysisSettings } from './settings';
import { samBiasStats, type SamBiasStats } from './samBiasCorrection';
import { samGptq, type SamGptqResult } from './samGptq';

const ortModule = ort as unknown as OrtModule;
const widths = [3, 4];

let sam: PreparedSam;
let items: CalibrationItem[];
let heldOut: CalibrationItem;
let facts: CalibrationFacts;
let bias: SamBiasStats;

beforeAll(async () => {
  sam = prepareSam(await loadModelFiles({}));
  const settings = { ...defaultAnalysisSettings, promptsPerImage: 4 };
  [heldOut, ...items] = calibrationScenes(3).map((entry) => ({ image: entry.image, prompts: promptsOfImage(entry, settings) }));
  facts = await calibrate({ ort: ortModule, sam, items });
  bias = await samBiasStats({ ort: ortModule, sam, items, units: sam.probedUnits, activationBits: widths, facts });
}, 300_000);

async function embeddingOf(item: CalibrationItem): Promise<OrtFeeds> {
  const session = await ort.InferenceSession.create(encodeModelBytes(sam.encoder));
  try {
    const out = await session.run(imageFeeds(ortModule, sam, item.image));
    return Object.fromEntries(sam.adapter.embeddingNames.map((name) => [name, out[name]]));
  } finally {
    await session.release();
  }
}

describe('bias correction on the demo SAM', () => {
  it('corrects every weight unit with a bias slot and says why the others are skipped', () => {
    const weightUnits = sam.probedUnits.filter((u) => u.kind === 'weight');
    console.info(
      `bias correction: statistics for ${bias.stats.size}/${weightUnits.length} weight units in ${bias.timings.statsMs} ms; skipped: ${bias.skipped.map((s) => `${s.unitId} (${s.reason})`).join('; ') || 'none'}`,
    );
    expect(bias.stats.size + bias.skipped.length).toBe(weightUnits.length);
    expect(bias.stats.size).toBeGreaterThan(weightUnits.length / 2);
  });

  describe.each(['encoder', 'decoder'] as const)('the %s', (graph) => {
    let units: QuantUnit[];
    let plain: ParametricModel;
    let corrected: ParametricModel;
    let inputs: OrtFeeds;
    let calibrationInputs: OrtFeeds[];
    const output = graph === 'encoder' ? 'image_embeddings' : 'low_res_masks';
    const model = () => (graph === 'encoder' ? sam.encoder : sam.decoder);

    beforeAll(async () => {
      units = sam.probedUnits.filter((u) => u.graph === graph);
      const options = parametricOptionsOf(facts, widths);
      plain = buildParametricModel(model(), units, options);
      corrected = buildParametricModel(model(), units, { ...options, biasCorrection: { stats: bias.stats, activationBits: widths } });
      const feedsOf = async (item: CalibrationItem) =>
        graph === 'encoder' ? [imageFeeds(ortModule, sam, item.image)] : promptFeeds(ortModule, sam, item).runs.map(async (run) => ({ ...run, ...(await embeddingOf(item)) }));
      inputs = (await Promise.all(await feedsOf(heldOut)))[0];
      calibrationInputs = (await Promise.all(items.map(async (item) => Promise.all(await feedsOf(item))))).flat();
    }, 120_000);

    it.each([3, 4])('one unit at a time at %i-bit weights and input: its mean output shift over the calibration inputs drops, and on a held-out input it is measured', async (bits) => {
      const candidates = units.filter((u) => corrected.biasCorrection!.tables.has(u.id));
      const chosen = [...new Set([0, 1, 2, Math.floor(candidates.length / 2), candidates.length - 2, candidates.length - 1])].filter((i) => i >= 0 && i < candidates.length).map((i) => candidates[i]);
      const names = chosen.map((u) => u.output);
      const withOutputs = (p: ParametricModel) => encodeModelBytes(withExtraOutputs(decodeModel(p.bytes), names));
      const [s1, s2] = await Promise.all([ort.InferenceSession.create(withOutputs(plain)), ort.InferenceSession.create(withOutputs(corrected))]);
      try {
        const fpOf = async (feeds: readonly OrtFeeds[]) => Promise.all(feeds.map((f) => s1.run({ ...f, ...toOrtFeeds(ortModule, plain.feedsFor({})) }, names)));
        const [fpCalibration, fpHeldOut] = [await fpOf(calibrationInputs), await fpOf([inputs])];
        let heldOutReduced = 0;
        for (const unit of chosen) {
          const config: QuantConfig = { [unit.id]: { wBits: bits, aBits: bits } };
          const channels = corrected.biasCorrection!.tables.get(unit.id)!.site.dims.at(-1)!;
          /** RMS over channels of the mean (over positions and feeds) of ŷ − y. */
          const shift = async (s: typeof s1, p: ParametricModel, feeds: readonly OrtFeeds[], fp: readonly OrtFeeds[]) => {
            const sums = new Float64Array(channels);
            let count = 0;
            for (const [k, f] of feeds.entries()) {
              const y = fp[k][unit.output];
              // Channels on the last axis (tokens) or axis 1 (feature maps), as the unit's bias is laid out.
              const plane = unit.op === 'Conv' ? y.dims.slice(2).reduce((a, b) => a * b, 1) : 1;
              const yq = (await s.run({ ...f, ...toOrtFeeds(ortModule, p.feedsFor(config)) }, [unit.output]))[unit.output].data as Float32Array;
              const fpData = y.data as Float32Array;
              for (let i = 0; i < yq.length; i++) sums[Math.floor(i / plane) % channels] += yq[i] - fpData[i];
              count += yq.length / channels;
            }
            return Math.sqrt(sums.reduce((a, v) => a + (v / count) ** 2, 0) / channels);
          };
          const calibration = [await shift(s1, plain, calibrationInputs, fpCalibration), await shift(s2, corrected, calibrationInputs, fpCalibration)];
          const held = [await shift(s1, plain, [inputs], fpHeldOut), await shift(s2, corrected, [inputs], fpHeldOut)];
          console.info(
            `${graph} ${unit.role} (${unit.part}, ${unit.op}) W${bits}A${bits}, RMS over channels of the mean output shift: calibration ${calibration[0].toExponential(3)} → ${calibration[1].toExponential(3)}, held-out ${held[0].toExponential(3)} → ${held[1].toExponential(3)}`,
          );
          // Over the data the means came from, the shift is gone up to float error (Convs with padding: the
          // border taps see zeros, which the channel means do not count out; the decoder: each prompt run's
          // mean counts once whatever its token count, while this average weights tokens).
          expect(calibration[1]).toBeLessThan(calibration[0] * (unit.op === 'Conv' ? 0.6 : graph === 'decoder' ? 0.2 : 0.02));
          if (held[1] < held[0]) heldOutReduced++;
        }
        // The decoder's held-out prompt has the calibration's statistics; the encoder's scenes differ per image.
        if (graph === 'decoder') expect(heldOutReduced).toBe(chosen.length);
      } finally {
        await s1.release();
        await s2.release();
      }
    }, 300_000);

    it('the export of a corrected mixed configuration (nearest and GPTQ codes) equals its simulation bit for bit', async () => {
      let gptq: SamGptqResult | null = null;
      if (graph === 'decoder') gptq = await samGptq({ ort: ortModule, sam, items, units: units, widths });
      const allocation = Object.fromEntries(units.map((u, i) => [u.id, widths[i % widths.length]]));
      const config = allocationToConfig(allocation, units);
      const simulations = [corrected];
      if (gptq) simulations.push(buildParametricModel(model(), units, { ...parametricOptionsOf(facts, widths), roundedWeights: gptq.weights, biasCorrection: { stats: bias.stats, activationBits: widths } }));
      for (const parametric of simulations) {
        const simulation = await createReferenceSession(ortModule, parametric.bytes);
        try {
          const feeds = toOrtFeeds(ortModule, parametric.feedsFor(config));
          const exported = exportQuantizedModel(model(), units, config, { simulation: parametric, ranges: facts.ranges, log2Tau: facts.log2Tau });
          const result = await verifyExport(ortModule, { session: simulation, feeds }, exported.bytes, inputs);
          expect(result.perOutput[output].range).toBeGreaterThan(0);
          expect(result.maxAbsError).toBe(0);
          // Not vacuous: the export without the correction differs from the corrected simulation.
          const uncorrected = exportQuantizedModel(model(), units, config, { simulation: { ...parametric, biasCorrection: null }, ranges: facts.ranges, log2Tau: facts.log2Tau });
          expect((await verifyExport(ortModule, { session: simulation, feeds }, uncorrected.bytes, inputs)).maxAbsError).toBeGreaterThan(0);
        } finally {
          await simulation.release();
        }
      }
    }, 300_000);
  });
});
