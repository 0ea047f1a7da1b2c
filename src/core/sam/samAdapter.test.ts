import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RgbaImage } from '../image/rgbaImage';
import { detectSamPart, type DetectedDecoder, type DetectedEncoder } from './detectFormat';
import { parseModelManifest } from './modelManifest';
import { createSamAdapter, type OutputTensor, type SamAdapter } from './samAdapter';
import { signatureFromMetadata } from './signature';
import type { PlainFeeds, Prompts } from './types';

// The demo model as shipped to the browser, run by real onnxruntime sessions.
const demoDir = new URL('../../../public/models/demo-sam/', import.meta.url);
const manifest = parseModelManifest(JSON.parse(readFileSync(new URL('model.json', demoDir), 'utf8')));

let encoderSession: ort.InferenceSession;
let decoderSession: ort.InferenceSession;
let adapter: SamAdapter;

const toOrt = (feeds: PlainFeeds) =>
  Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, new ort.Tensor(t.type, t.data, t.dims)]));

/** 300×200 image of one colour: after any normalized resize it stays that colour. */
function uniformImage(width: number, height: number, rgb: [number, number, number]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([...rgb, 255], i * 4);
  return { width, height, data };
}

beforeAll(async () => {
  encoderSession = await ort.InferenceSession.create(readFileSync(new URL(manifest.encoderFile, demoDir)));
  decoderSession = await ort.InferenceSession.create(readFileSync(new URL(manifest.decoderFile, demoDir)));
  const encoder = detectSamPart(signatureFromMetadata(encoderSession.inputMetadata, encoderSession.outputMetadata)) as DetectedEncoder;
  const decoder = detectSamPart(signatureFromMetadata(decoderSession.inputMetadata, decoderSession.outputMetadata)) as DetectedDecoder;
  adapter = createSamAdapter(encoder, decoder, manifest.config);
});

async function decode(image: RgbaImage, prompts: Prompts) {
  const embedding = await encoderSession.run(toOrt(adapter.encoderFeeds(image)));
  const feeds = { ...toOrt(adapter.decoderFeeds(prompts, image)), image_embeddings: embedding.image_embeddings };
  return decoderSession.run(feeds);
}

describe('the demo model through the adapter (onnxruntime-node)', () => {
  it('is detected as a Meta-format pair with S = 256 and a 64×64 mask input', () => {
    expect(adapter.format).toBe('meta');
    expect(adapter.inputSize).toBe(256);
    expect(adapter.embeddingNames).toEqual(['image_embeddings']);
    const feeds = adapter.decoderFeeds({ points: [{ x: 1, y: 1, positive: true }], box: null }, { width: 300, height: 200 });
    expect(feeds.mask_input.dims).toEqual([1, 1, 64, 64]);
  });

  it('feeds the encoder a normalized, padded [1,3,256,256] tensor', () => {
    // 300×200 → 256×171 (170.67 rounds up); padding below row 171 is zero.
    const tensor = adapter.encoderFeeds(uniformImage(300, 200, [200, 100, 50])).input_image;
    expect(tensor.dims).toEqual([1, 3, 256, 256]);
    const data = tensor.data as Float32Array;
    const plane = 256 * 256;
    expect(data[0]).toBeCloseTo((200 - 123.675) / 58.395, 5);
    expect(data[plane + 170 * 256 + 255]).toBeCloseTo((100 - 116.28) / 57.12, 5);
    expect(data[2 * plane + 170 * 256]).toBeCloseTo((50 - 103.53) / 57.375, 5);
    expect(data[171 * 256]).toBe(0);
  });

  it('chooses the best multimask output and thresholds it at 0, as a plain loop does', async () => {
    const image = uniformImage(300, 200, [90, 140, 200]);
    const outputs = await decode(image, { points: [{ x: 150, y: 100, positive: true }], box: null });
    expect(outputs.masks.dims).toEqual([1, 4, 200, 300]);
    const decoded = adapter.decodeMask(outputs as unknown as Record<string, OutputTensor>, image);

    const ious = Array.from(outputs.iou_predictions.data as Float32Array);
    const expectedIndex = [1, 2, 3].reduce((best, i) => (ious[i] > ious[best] ? i : best), 1);
    expect(decoded.maskIndex).toBe(expectedIndex);
    expect(decoded.predictedIoU).toBe(ious[expectedIndex]);
    const logits = outputs.masks.data as Float32Array;
    let mismatches = 0;
    for (let i = 0; i < 300 * 200; i++) if ((logits[expectedIndex * 60000 + i] > 0 ? 1 : 0) !== decoded.mask.data[i]) mismatches++;
    expect(mismatches).toBe(0);
  });

  it("upsamples low-res logits in TypeScript the way the graph's own postprocessing does", async () => {
    const image = uniformImage(300, 200, [30, 60, 90]);
    const outputs = await decode(image, { points: [], box: { x0: 40, y0: 30, x1: 220, y1: 170 } });
    // Drop the full-size masks: the adapter must rebuild them from low_res_masks.
    const lowResOnly = createSamAdapter(
      { part: 'encoder', format: 'meta', inputName: 'input_image', inputSize: 256, embeddingNames: ['image_embeddings'], embeddingShape: [] },
      {
        part: 'decoder',
        family: 'meta',
        inputNames: [],
        maskInputSize: 64,
        maskOutput: 'low_res_masks',
        iouOutput: 'iou_predictions',
        lowResOutput: 'low_res_masks',
        masksAtImageSize: false,
        embeddingShape: [],
        promptBatch: null,
      },
    );
    const fromLowRes = lowResOnly.decodeMask(outputs as unknown as Record<string, OutputTensor>, image);
    const fromGraph = adapter.decodeMask(outputs as unknown as Record<string, OutputTensor>, image);
    expect(fromLowRes.maskIndex).toBe(fromGraph.maskIndex);
    let differing = 0;
    for (let i = 0; i < fromGraph.mask.data.length; i++) if (fromGraph.mask.data[i] !== fromLowRes.mask.data[i]) differing++;
    // Same maths in float32 in two implementations: at most a few pixels sitting exactly on the 0 level may flip.
    expect(differing).toBeLessThanOrEqual(3);
  });
});

describe('pairing parts', () => {
  const encoder = (format: 'meta' | 'transformers', embeddingShape: (number | string)[]): DetectedEncoder => ({
    part: 'encoder',
    format,
    inputName: 'input_image',
    inputSize: 1024,
    embeddingNames: ['image_embeddings'],
    embeddingShape,
  });
  const decoder = (family: 'meta' | 'transformers', embeddingShape: (number | string)[]): DetectedDecoder => ({
    part: 'decoder',
    family,
    inputNames: [],
    maskInputSize: 256,
    maskOutput: 'masks',
    iouOutput: 'iou_predictions',
    lowResOutput: 'low_res_masks',
    masksAtImageSize: true,
    embeddingShape,
    promptBatch: null,
  });

  it('refuses an encoder and decoder of different families', () => {
    expect(() => createSamAdapter(encoder('transformers', []), decoder('meta', []))).toThrow(
      'The encoder is a transformers.js export but the decoder is a Meta/samexporter export: load the encoder and decoder of the same export.',
    );
  });

  it('refuses embeddings of different shapes, naming both', () => {
    expect(() => createSamAdapter(encoder('meta', [1, 256, 64, 64]), decoder('meta', [1, 128, 16, 16]))).toThrow(
      'The encoder produces image_embeddings [1,256,64,64] but the decoder expects [1,128,16,16]',
    );
  });

  it('accepts symbolic dimensions it cannot compare', () => {
    expect(createSamAdapter(encoder('meta', ['b', 256, 64, 64]), decoder('meta', [1, 256, 64, 64])).inputSize).toBe(1024);
  });
});

describe('parseModelManifest', () => {
  it('reads the demo model.json', () => {
    expect(manifest).toMatchObject({ name: 'demo-sam', format: 'meta', encoderFile: 'encoder.onnx', decoderFile: 'decoder.onnx' });
    expect(manifest.config).toMatchObject({ inputSize: 256, lowResSize: 64, maskThreshold: 0 });
  });

  it('explains a broken manifest', () => {
    expect(() => parseModelManifest({ encoder: 'e.onnx', decoder: 'd.onnx', format: 'tflite' })).toThrow(
      'model.json names format "tflite"; known formats are meta, samexporter, transformers.',
    );
    expect(() => parseModelManifest({ encoder: 'e.onnx' })).toThrow('model.json lacks the text field "decoder".');
  });
});
