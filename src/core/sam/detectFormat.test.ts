import { describe, expect, it } from 'vitest';
import { detectSamPart, SamFormatError } from './detectFormat';
import type { ModelSignature, TensorSpec } from './types';

const f32 = (name: string, shape: (number | string)[]): TensorSpec => ({ name, type: 'float32', shape });
const i64 = (name: string, shape: (number | string)[]): TensorSpec => ({ name, type: 'int64', shape });

const metaDecoder: ModelSignature = {
  inputs: [
    f32('image_embeddings', [1, 256, 64, 64]),
    f32('point_coords', [1, 'num_points', 2]),
    f32('point_labels', [1, 'num_points']),
    f32('mask_input', [1, 1, 256, 256]),
    f32('has_mask_input', [1]),
    f32('orig_im_size', [2]),
  ],
  outputs: [f32('masks', [-1, -1, -1, -1]), f32('iou_predictions', [-1, 4]), f32('low_res_masks', [-1, -1, -1, -1])],
};

describe('detectSamPart', () => {
  it('recognizes a Meta-style encoder [1,3,S,S] and reads S', () => {
    const part = detectSamPart({ inputs: [f32('input_image', [1, 3, 256, 256])], outputs: [f32('image_embeddings', [1, 64, 16, 16])] });
    expect(part).toEqual({
      part: 'encoder',
      format: 'meta',
      inputName: 'input_image',
      inputSize: 256,
      embeddingNames: ['image_embeddings'],
      embeddingShape: [1, 64, 16, 16],
    });
  });

  it('recognizes a samexporter encoder [H,W,3]', () => {
    const part = detectSamPart({ inputs: [f32('input_image', ['h', 'w', 3])], outputs: [f32('image_embeddings', [1, 256, 64, 64])] });
    expect(part).toMatchObject({ part: 'encoder', format: 'samexporter', inputSize: null });
  });

  it('recognizes a transformers.js vision encoder and keeps both embeddings', () => {
    const part = detectSamPart({
      inputs: [f32('pixel_values', ['batch', 3, 1024, 1024])],
      outputs: [f32('image_embeddings', ['batch', 256, 64, 64]), f32('image_positional_embeddings', ['batch', 256, 64, 64])],
    });
    expect(part).toEqual({
      part: 'encoder',
      format: 'transformers',
      inputName: 'pixel_values',
      inputSize: 1024,
      embeddingNames: ['image_embeddings', 'image_positional_embeddings'],
      embeddingShape: ['batch', 256, 64, 64],
    });
  });

  it("recognizes Meta's decoder, its mask_input side and full-size masks", () => {
    expect(detectSamPart(metaDecoder)).toEqual({
      part: 'decoder',
      family: 'meta',
      inputNames: ['image_embeddings', 'point_coords', 'point_labels', 'mask_input', 'has_mask_input', 'orig_im_size'],
      maskInputSize: 256,
      maskOutput: 'masks',
      iouOutput: 'iou_predictions',
      lowResOutput: 'low_res_masks',
      masksAtImageSize: true,
      embeddingShape: [1, 256, 64, 64],
      promptBatch: 1,
    });
  });

  it("finds the low-res masks by rank where Meta's script names them in order (return_extra_metrics)", () => {
    // Outputs as scripts/export_onnx_model.py --return-extra-metrics writes them: three names for five outputs,
    // so "low_res_masks" labels the stability scores and the low-res masks get a generated name.
    const extraMetrics = detectSamPart({
      ...metaDecoder,
      outputs: [f32('masks', ['a', 'b', 'c', 'd']), f32('iou_predictions', ['a', 4]), f32('low_res_masks', ['a', 'b']), f32('1582', ['a', 'b']), f32('masks.1', ['a', 'b', 'c', 'd'])],
    });
    expect(extraMetrics).toMatchObject({ maskOutput: 'masks', iouOutput: 'iou_predictions', lowResOutput: 'masks.1' });
    // A low_res_masks output that states no shape is taken by its name.
    const unshaped = detectSamPart({ ...metaDecoder, outputs: [f32('masks', [-1, -1, -1, -1]), f32('iou_predictions', [-1, 4]), f32('low_res_masks', [])] });
    expect(unshaped).toMatchObject({ lowResOutput: 'low_res_masks' });
  });

  it('reads the prompt batch the graph accepts: fixed in official exports, symbolic in batched ones', () => {
    const batched = { ...metaDecoder, inputs: metaDecoder.inputs.map((spec) => (spec.name === 'point_coords' ? f32('point_coords', ['batch', 'num_points', 2]) : spec)) };
    expect(detectSamPart(batched)).toMatchObject({ part: 'decoder', promptBatch: null });
    const transformers = detectSamPart({
      inputs: [f32('input_points', [1, 1, 'n', 2]), i64('input_labels', [1, 1, 'n']), f32('image_embeddings', [1, 256, 64, 64]), f32('image_positional_embeddings', [1, 256, 64, 64])],
      outputs: [f32('iou_scores', [1, 1, 3]), f32('pred_masks', [1, 1, 3, 256, 256])],
    });
    expect(transformers).toMatchObject({ family: 'transformers', promptBatch: 1 });
  });

  it('falls back to low_res_masks for a Meta decoder without orig_im_size', () => {
    const part = detectSamPart({
      inputs: metaDecoder.inputs.filter((spec) => spec.name !== 'orig_im_size'),
      outputs: [f32('iou_predictions', [1, 4]), f32('low_res_masks', [1, 4, 256, 256])],
    });
    expect(part).toMatchObject({ family: 'meta', maskOutput: 'low_res_masks', lowResOutput: 'low_res_masks', masksAtImageSize: false });
  });

  it('recognizes a transformers.js prompt_encoder_mask_decoder', () => {
    const part = detectSamPart({
      inputs: [
        f32('input_points', ['b', 'p', 'n', 2]),
        i64('input_labels', ['b', 'p', 'n']),
        f32('image_embeddings', ['b', 256, 64, 64]),
        f32('image_positional_embeddings', ['b', 256, 64, 64]),
      ],
      outputs: [f32('iou_scores', ['b', 'p', 3]), f32('pred_masks', ['b', 'p', 3, 256, 256])],
    });
    expect(part).toMatchObject({ part: 'decoder', family: 'transformers', maskOutput: 'pred_masks', iouOutput: 'iou_scores' });
  });

  it('names what a non-SAM model has and what was expected', () => {
    const add: ModelSignature = { inputs: [f32('A', [1, 3]), f32('B', [1, 3])], outputs: [f32('C', [1, 3])] };
    expect(() => detectSamPart(add, 'add.onnx')).toThrow(SamFormatError);
    expect(() => detectSamPart(add, 'add.onnx')).toThrow(
      '“add.onnx” is not a recognized SAM part. It has inputs A [1,3] float32, B [1,3] float32; outputs C [1,3] float32. ' +
        'Expected a SAM encoder (input input_image',
    );
  });

  it('says which names a near-miss decoder lacks', () => {
    const partial: ModelSignature = {
      inputs: [f32('image_embeddings', [1, 256, 64, 64]), f32('point_coords', [1, 'n', 2])],
      outputs: [f32('iou_predictions', [1, 4]), f32('masks', [1, 4, 'h', 'w'])],
    };
    expect(() => detectSamPart(partial, 'dec.onnx')).toThrow('It looks like a Meta decoder but lacks input point_labels.');
  });

  it('writes ? for a tensor without a stated shape', () => {
    expect(() => detectSamPart({ inputs: [{ name: 'x', type: 'float32', shape: [] }], outputs: [] })).toThrow(
      'This model is not a recognized SAM part. It has inputs x [?] float32; outputs (none).',
    );
  });
});
