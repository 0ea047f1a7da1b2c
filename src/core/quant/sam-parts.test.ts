import { describe, expect, it } from 'vitest';
import { placeOfNode, roleOf, STAGE_BLOCK_STRIDE } from './sam-parts.ts';

const label = (name: string, activation: 'q·kᵀ' | 'softmax·v' | null = null) => {
  const place = placeOfNode(name);
  return `${place.part} · ${roleOf(place, activation, 0)}`;
};

describe('placeOfNode on Meta ViT names (unchanged)', () => {
  it('labels blocks by their index, without a stage', () => {
    expect(placeOfNode('/blocks.3/attn/qkv/MatMul')).toEqual({ part: 'encoder block 3', block: 3, stage: null, module: 'attn', leaf: 'qkv', exclusion: null });
    expect(placeOfNode('/image_encoder/blocks.11/mlp/lin2/MatMul')).toMatchObject({ part: 'encoder block 11', block: 11, stage: null });
    expect(label('/blocks.0/mlp/lin1/MatMul')).toBe('encoder block 0 · mlp.lin1');
    expect(label('/blocks.0/attn/MatMul_1', 'softmax·v')).toBe('encoder block 0 · softmax·v');
    expect(label('/patch_embed/proj/Conv')).toBe('patch embedding · patch_embed.proj');
    expect(placeOfNode('/transformer/layers.1/self_attn/q_proj/MatMul')).toMatchObject({ part: 'decoder layer 1', block: 1, stage: null });
  });
});

describe('placeOfNode on hierarchical (TinyViT) names', () => {
  it('puts the stage in the part and keeps block keys unique and ordered', () => {
    expect(placeOfNode('/layers.0/blocks.1/act3/Mul_1')).toMatchObject({ part: 'encoder stage 0 block 1', stage: 0, block: 1 });
    expect(placeOfNode('/layers.1/blocks.0/attn/qkv/MatMul')).toEqual({
      part: 'encoder stage 1 block 0',
      block: STAGE_BLOCK_STRIDE,
      stage: 1,
      module: 'attn',
      leaf: 'qkv',
      exclusion: null,
    });
    const inOrder = ['/layers.0/blocks.0/conv1/c/Conv', '/layers.0/blocks.1/conv3/c/Conv', '/layers.1/blocks.1/mlp/fc1/MatMul', '/layers.2/blocks.5/attn/proj/MatMul', '/layers.3/blocks.0/attn/qkv/MatMul'];
    const keys = inOrder.map((name) => placeOfNode(name).block!);
    expect(keys).toEqual([...keys].sort((a, b) => a - b));
    expect(new Set(keys).size).toBe(keys.length);
    expect(placeOfNode('/image_encoder/layers.3/blocks.1/mlp/fc2/MatMul')).toMatchObject({ part: 'encoder stage 3 block 1', stage: 3 });
  });

  it('names MBConv convs, attention, local conv, downsample, patch embedding and neck', () => {
    expect(label('/layers.0/blocks.0/conv2/c/Conv')).toBe('encoder stage 0 block 0 · conv2');
    expect(label('/layers.2/blocks.4/attn/qkv/MatMul')).toBe('encoder stage 2 block 4 · qkv');
    expect(label('/layers.2/blocks.4/attn/MatMul', 'q·kᵀ')).toBe('encoder stage 2 block 4 · q·kᵀ');
    expect(label('/layers.2/blocks.4/local_conv/c/Conv')).toBe('encoder stage 2 block 4 · local_conv');
    expect(label('/layers.2/blocks.4/mlp/fc1/MatMul')).toBe('encoder stage 2 block 4 · mlp.fc1');
    expect(placeOfNode('/layers.1/downsample/conv2/c/Conv')).toMatchObject({ part: 'encoder stage 1 downsample', block: null, stage: 1, module: 'conv2', leaf: '' });
    expect(label('/layers.1/downsample/conv2/c/Conv')).toBe('encoder stage 1 downsample · conv2');
    expect(placeOfNode('/patch_embed/seq/seq.2/c/Conv')).toMatchObject({ part: 'patch embedding', leaf: 'seq.2', exclusion: 'patch-embedding', stage: null });
    expect(label('/patch_embed/seq/seq.0/c/Conv')).toBe('patch embedding · patch_embed.seq.0');
    expect(placeOfNode('/neck/neck.2/Conv')).toMatchObject({ part: 'neck', stage: null });
  });

  it('leaves "layers.N" without blocks or downsample to the other rules', () => {
    expect(placeOfNode('/vision_encoder/layers.0/attn/qkv/MatMul')).toMatchObject({ part: 'vision_encoder.layers.0', stage: null, module: 'attn' });
    expect(placeOfNode('/output_hypernetworks_mlps.0/layers.1/Gemm')).toMatchObject({ part: 'hypernetwork MLPs', stage: null });
  });
});
