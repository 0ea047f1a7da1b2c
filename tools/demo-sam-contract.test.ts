import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { DEFAULT_MODEL_DIR } from './eval-demo.ts';
import { createRandom } from '../src/core/synth/index.ts';

const model = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8'));
const [, channels, grid] = model.embeddingShape as number[];
const low = model.lowResSize as number;

function randomTensor(random: ReturnType<typeof createRandom>, dims: number[], scale = 1): ort.Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return new ort.Tensor('float32', Float32Array.from({ length: n }, () => scale * random.normal()), dims);
}

describe('demo SAM ONNX contract (Meta format, dynamic prompt batch)', () => {
  it('declares the documented inputs and outputs', async () => {
    const encoder = await ort.InferenceSession.create(join(DEFAULT_MODEL_DIR, model.encoder));
    const decoder = await ort.InferenceSession.create(join(DEFAULT_MODEL_DIR, model.decoder));
    expect(encoder.inputNames).toEqual(['input_image']);
    expect(encoder.outputNames).toEqual(['image_embeddings']);
    expect(decoder.inputNames).toEqual(['image_embeddings', 'point_coords', 'point_labels', 'mask_input', 'has_mask_input', 'orig_im_size']);
    expect(decoder.outputNames).toEqual(['masks', 'iou_predictions', 'low_res_masks']);
    const out = await encoder.run({ input_image: randomTensor(createRandom(1), [1, 3, model.inputSize, model.inputSize]) });
    expect(out.image_embeddings.dims).toEqual(model.embeddingShape);
  });

  it('decodes a batch of 5 prompts exactly like 5 single-prompt runs', async () => {
    const decoder = await ort.InferenceSession.create(join(DEFAULT_MODEL_DIR, model.decoder));
    const random = createRandom(2);
    const B = 5;
    const N = 3;
    const embeddings = randomTensor(random, [1, channels, grid, grid]);
    const coords = Float32Array.from({ length: B * N * 2 }, () => random.uniform(0, model.inputSize - 1));
    const labels = Float32Array.from({ length: B * N }, () => [1, 0, -1, 2, 3][random.int(0, 4)]);
    const maskInput = randomTensor(random, [B, 1, low, low], 4);
    const common = {
      image_embeddings: embeddings,
      has_mask_input: new ort.Tensor('float32', Float32Array.from([1]), [1]),
      orig_im_size: new ort.Tensor('float32', Float32Array.from([200, 256]), [2]),
    };
    const batched = await decoder.run({
      ...common,
      point_coords: new ort.Tensor('float32', coords, [B, N, 2]),
      point_labels: new ort.Tensor('float32', labels, [B, N]),
      mask_input: maskInput,
    });
    expect(batched.masks.dims).toEqual([B, 4, 200, 256]);
    expect(batched.low_res_masks.dims).toEqual([B, 4, low, low]);
    for (let b = 0; b < B; b++) {
      const single = await decoder.run({
        ...common,
        point_coords: new ort.Tensor('float32', coords.slice(b * N * 2, (b + 1) * N * 2), [1, N, 2]),
        point_labels: new ort.Tensor('float32', labels.slice(b * N, (b + 1) * N), [1, N]),
        mask_input: new ort.Tensor('float32', (maskInput.data as Float32Array).slice(b * low * low, (b + 1) * low * low), [1, 1, low, low]),
      });
      for (const name of ['iou_predictions', 'low_res_masks', 'masks'] as const) {
        const whole = batched[name].data as Float32Array;
        const part = single[name].data as Float32Array;
        let maxDiff = 0;
        for (let i = 0; i < part.length; i++) maxDiff = Math.max(maxDiff, Math.abs(part[i] - whole[b * part.length + i]));
        expect(maxDiff, `${name} of prompt ${b}`).toBeLessThan(1e-4);
      }
    }
  });
});
