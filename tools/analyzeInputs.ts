/**
 * Node-side inputs of an analysis, shared by the CLI (tools/analyze.ts) and the benchmark: model files,
 * the studio's sample scenes with their ground-truth boxes, images from disk, and a journal-file store.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, basename, extname } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { AnalysisImage } from '../src/core/analysis/analysisEngine';
import type { SamModelFiles } from '../src/core/analysis/analysisModel';
import { JournalFileAnalysisStore } from '../src/core/analysis/analysisStore';
import { parseModelManifest } from '../src/core/sam/modelManifest';
import { generateScene, MIN_VISIBLE_PIXELS } from '../src/core/synth/scene';
import { buildSampleImages } from '../src/state/sampleImages';

export const demoModelDir = new URL('../public/models/demo-sam/', import.meta.url);

/** Encoder, decoder and (when present) model.json of a model directory; explicit files override. */
export async function loadModelFiles(options: { dir?: string | URL; encoder?: string; decoder?: string }): Promise<SamModelFiles> {
  const dir = options.dir ?? demoModelDir;
  const inDir = (name: string) => (typeof dir === 'string' ? `${dir.replace(/\/$/, '')}/${name}` : new URL(name, dir));
  let manifest = null;
  try {
    manifest = parseModelManifest(JSON.parse(await readFile(inDir('model.json'), 'utf8')));
  } catch (error) {
    // model.json is optional beside a user's export; anything else wrong with it is worth saying.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const read = async (path: string | URL, what: string) => {
    try {
      return new Uint8Array(await readFile(path));
    } catch (error) {
      throw new Error(`Cannot read the ${what} at ${String(path)}: ${(error as Error).message}`, { cause: error });
    }
  };
  return {
    encoder: await read(options.encoder ?? inDir(manifest?.encoderFile ?? 'encoder.onnx'), 'encoder'),
    decoder: await read(options.decoder ?? inDir(manifest?.decoderFile ?? 'decoder.onnx'), 'decoder'),
    config: manifest?.config,
  };
}

/**
 * Procedural scenes with ground-truth boxes as prompts: first the studio's sample images
 * (src/state/sampleImages.ts, same pixels and boxes), then further seeded scenes when more are asked for.
 */
export function sampleScenes(count: number): AnalysisImage[] {
  const samples = buildSampleImages().map((sample) => ({ name: sample.name, image: sample.pixels, boxes: sample.truth.map((object) => object.box) }));
  for (let k = samples.length; k < count; k++) {
    const scene = generateScene(1000 + k, { size: 256 });
    const boxes = scene.objects
      .filter((object) => object.box !== null && object.visiblePixels >= MIN_VISIBLE_PIXELS)
      // synth's boxes are inclusive pixel indices; prompts use pixel edges.
      .map((object) => ({ x0: object.box![0], y0: object.box![1], x1: object.box![2] + 1, y1: object.box![3] + 1 }));
    samples.push({ name: `Scene ${1000 + k}`, image: { width: scene.width, height: scene.height, data: scene.rgba }, boxes });
  }
  return samples.slice(0, count);
}

/** A PNG or JPEG from disk as RGBA; prompts then come from the point grid. */
export async function imageFromFile(path: string): Promise<AnalysisImage> {
  const bytes = await readFile(path);
  const extension = extname(path).toLowerCase();
  if (extension === '.png') {
    const png = PNG.sync.read(bytes);
    return { name: basename(path), image: { width: png.width, height: png.height, data: new Uint8Array(png.data) } };
  }
  if (extension === '.jpg' || extension === '.jpeg') {
    const decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    return { name: basename(path), image: { width: decoded.width, height: decoded.height, data: decoded.data } };
  }
  throw new Error(`${path}: only PNG and JPEG images can be read here`);
}

/** The CLI's persistent store: a JSON-lines journal, so an interrupted run resumes. */
export async function journalStore(path: string): Promise<JournalFileAnalysisStore> {
  await mkdir(dirname(path), { recursive: true });
  return new JournalFileAnalysisStore({
    read: async () => {
      try {
        return await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    append: (text) => appendFile(path, text),
  });
}
