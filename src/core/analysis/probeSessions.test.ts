/**
 * The decoder's probe sessions: full-precision runs (the reference, and the decoder after every encoder
 * probe) go to a session of the original decoder, and give bit for bit what the parametric decoder with
 * every gate off gives; probes of decoder units still run the parametric one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ortNode from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { imageFromFile } from '../../../tools/analyzeInputs';
import { generateScene, MIN_VISIBLE_PIXELS } from '../synth/scene';
import { toOrtFeeds, type OrtFeeds, type OrtModule, type OrtSession } from '../onnx/ort';
import { encodeModelBytes } from '../onnx/proto';
import { buildParametricModel, PARAM_INPUTS } from '../quant/parametric';
import { analysisSessionOptions, probeConfig, type AnalysisImage } from './analysisEngine';
import { promptsOfImage } from './analysisKeys';
import { imageFeeds, prepareSam, promptFeeds, type SamModelFiles } from './analysisModel';
import { ablationProbe } from './metrics';
import { DecoderProbeRunner } from './probeSessions';
import { runPromptRuns } from './promptRuns';
import { defaultAnalysisSettings } from './settings';

const ort = ortNode as unknown as OrtModule;
const sessionOptions = analysisSessionOptions({ intraOpNumThreads: 1 });
const demo = new URL('../../../public/models/demo-sam/', import.meta.url);
const demoFiles: SamModelFiles = {
  encoder: new Uint8Array(readFileSync(new URL('encoder.onnx', demo))),
  decoder: new Uint8Array(readFileSync(new URL('decoder.onnx', demo))),
  config: { inputSize: 256, lowResSize: 64 },
};
const mobileSam = fileURLToPath(new URL('../../../../shared/fixtures/mobilesam-random/', import.meta.url));
const dog = fileURLToPath(new URL('../../../../shared/data/images/dog.jpg', import.meta.url));

function scene(seed: number): AnalysisImage {
  const s = generateScene(seed);
  const boxes = s.objects
    .filter((o) => o.box && o.visiblePixels >= MIN_VISIBLE_PIXELS)
    .map((o) => ({ x0: o.box![0], y0: o.box![1], x1: o.box![2] + 1, y1: o.box![3] + 1 }));
  return { name: `scene-${seed}`, image: { width: s.width, height: s.height, data: s.rgba }, boxes };
}

/** ort with every session's runs counted, by whether the session reads configuration inputs. */
function countingOrt() {
  const runs = { parametric: 0, plain: 0 };
  const create = async (...args: Parameters<OrtModule['InferenceSession']['create']>) => {
    const session: OrtSession = await (ort.InferenceSession.create as (...a: unknown[]) => Promise<OrtSession>)(...args);
    const parametric = session.inputNames.includes(PARAM_INPUTS.ablate);
    const run = session.run.bind(session);
    session.run = ((...runArgs: Parameters<OrtSession['run']>) => {
      runs[parametric ? 'parametric' : 'plain']++;
      return run(...runArgs);
    }) as OrtSession['run'];
    return session;
  };
  const counting = { ...ort, InferenceSession: { ...ort.InferenceSession, create } } as unknown as OrtModule;
  return { counting, runs };
}

async function checkDecoder(files: SamModelFiles, images: AnalysisImage[]) {
  const sam = prepareSam(files);
  const units = sam.probedUnits.filter((unit) => unit.graph === 'decoder');
  const parametric = buildParametricModel(sam.decoder, units, {});
  const { counting, runs } = countingOrt();
  const runner = await DecoderProbeRunner.create({ ort: counting, parametric, original: encodeModelBytes(sam.decoder), lowResName: sam.lowResOutput, iouName: sam.iouOutput, sessionOptions });
  const encoder = await ort.InferenceSession.create(files.encoder, sessionOptions);
  const gated = await ort.InferenceSession.create(parametric.bytes, sessionOptions);
  const gatesOff = toOrtFeeds(ort, parametric.feedsFor({}));
  const settings = { ...defaultAnalysisSettings, promptsPerImage: 4 };
  try {
    for (const entry of images) {
      const prompts = promptFeeds(ort, sam, { image: entry.image, prompts: promptsOfImage(entry, settings) });
      const embeddings: OrtFeeds = await encoder.run(imageFeeds(ort, sam, entry.image));
      const before = { ...runs };
      const fullPrecision = await runner.run(embeddings, prompts, null);
      // The old path: the parametric decoder with every gate off.
      const expected = await runPromptRuns(ort, gated, prompts, { ...embeddings, ...gatesOff }, [sam.lowResOutput, sam.iouOutput]);
      expect(runs.plain - before.plain).toBe(prompts.runs.length);
      expect(runs.parametric - before.parametric).toBe(0);
      expect(Array.from(fullPrecision.lowRes.data as Float32Array)).toEqual(Array.from(expected[sam.lowResOutput].data as Float32Array));
      expect(Array.from(fullPrecision.iou.data as Float32Array)).toEqual(Array.from(expected[sam.iouOutput].data as Float32Array));
      expect(fullPrecision.lowRes.dims).toEqual(expected[sam.lowResOutput].dims);

      // A decoder-unit probe still runs the parametric decoder, and changes the output.
      const probed = await runner.run(embeddings, prompts, probeConfig(units[0], ablationProbe, null));
      expect(runs.parametric - before.parametric).toBe(prompts.runs.length);
      expect(Array.from(probed.lowRes.data as Float32Array)).not.toEqual(Array.from(fullPrecision.lowRes.data as Float32Array));
    }
    expect(runner.plainRuns).toBe(images.length);
  } finally {
    await runner.release();
    await encoder.release();
    await gated.release();
  }
}

describe('DecoderProbeRunner full-precision runs', () => {
  it('run the original demo decoder, bit for bit the parametric decoder with every gate off', async () => {
    await checkDecoder(demoFiles, [scene(700), scene(701)]);
  });

  it.skipIf(!existsSync(mobileSam) || !existsSync(dog))('do the same on the MobileSAM fixture (one prompt per run)', async () => {
    const files: SamModelFiles = {
      encoder: new Uint8Array(readFileSync(`${mobileSam}encoder.onnx`)),
      decoder: new Uint8Array(readFileSync(`${mobileSam}decoder.onnx`)),
    };
    await checkDecoder(files, [await imageFromFile(dog)]);
  }, 120_000);
});
