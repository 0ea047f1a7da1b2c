import { describe, expect, it } from 'vitest';
import { buildEncoder, TINY_ENCODER } from '../../../bench/sam-graph.ts';
import { GraphBuilder } from '../onnx/builder.ts';
import { discoverUnits } from './units.ts';

describe('discoverUnits on a tiny SAM encoder', () => {
  // TINY_ENCODER: 32² image, patch 8 → 4×4 grid, N = 16 tokens, width C = 16, 2 heads (d = 8),
  // MLP 32, neck 8 channels, 2 blocks, decomposed rel-pos table [4, 8, 4] per block.
  const units = discoverUnits(buildEncoder(TINY_ENCODER));
  const byRole = (part: string, role: string) => units.find((u) => u.part === part && u.role === role)!;

  it('lists units in execution order with SAM parts and roles', () => {
    expect(units.map((u) => `${u.part}|${u.role}`)).toEqual([
      'patch embedding|patch_embed.proj',
      ...[0, 1].flatMap((k) => ['qkv', 'q·kᵀ', 'rel_pos', 'softmax·v', 'proj', 'mlp.lin1', 'mlp.lin2'].map((r) => `encoder block ${k}|${r}`)),
      'neck|neck.conv1',
      'neck|neck.conv2',
    ]);
    expect(units.map((u) => u.order)).toEqual(units.map((_, i) => i));
    expect(units[1].id).toBe('encoder:/blocks.0/attn/qkv/MatMul');
  });

  it('counts parameters and MACs by the METHOD.md formulas', () => {
    const N = 16, C = 16, d = 8, heads = 2;
    // Conv: out.numel · k² · C_in = (16·4·4) · 64 · 3
    expect(byRole('patch embedding', 'patch_embed.proj')).toMatchObject({ params: 16 * 3 * 8 * 8, macs: 16 * 16 * 64 * 3 });
    // Linear: out.numel · in_features
    expect(byRole('encoder block 0', 'qkv')).toMatchObject({ params: C * 3 * C, macs: N * 3 * C * C, kind: 'weight' });
    expect(byRole('encoder block 1', 'proj')).toMatchObject({ params: C * C, macs: N * C * C });
    expect(byRole('encoder block 0', 'mlp.lin1')).toMatchObject({ params: C * 32, macs: N * 32 * C });
    expect(byRole('encoder block 0', 'mlp.lin2')).toMatchObject({ params: 32 * C, macs: N * C * 32 });
    // Attention: B · heads · N_q · N_k · d_head
    expect(byRole('encoder block 0', 'q·kᵀ')).toMatchObject({ params: 0, macs: heads * N * N * d, kind: 'activation', postSoftmaxInput: null });
    expect(byRole('encoder block 0', 'softmax·v')).toMatchObject({ params: 0, macs: heads * N * N * d, postSoftmaxInput: 0 });
    // rel-pos: [heads, 4, 4, 8] · [4, 8, 4] → [2, 4, 4, 4], K = 8
    expect(byRole('encoder block 0', 'rel_pos')).toMatchObject({ params: 4 * 8 * 4, macs: 2 * 4 * 4 * 4 * 8 });
    expect(byRole('neck', 'neck.conv1')).toMatchObject({ params: 8 * 16, macs: 8 * 16 * 16 });
    expect(byRole('neck', 'neck.conv2')).toMatchObject({ params: 8 * 8 * 9, macs: 8 * 16 * 8 * 9 });
  });

  it('excludes patch embedding and rel-pos products by default, configurable', () => {
    expect(units.filter((u) => u.excludedByDefault).map((u) => u.role)).toEqual(['patch_embed.proj', 'rel_pos', 'rel_pos']);
    const relPosOn = discoverUnits(buildEncoder(TINY_ENCODER), { exclusions: { 'rel-pos': false } });
    expect(relPosOn.filter((u) => u.excludedByDefault).map((u) => u.role)).toEqual(['patch_embed.proj']);
  });

  it('ablates a linear layer after its bias Add', () => {
    expect(byRole('encoder block 0', 'qkv').output).toMatch(/^add_/);
    expect(byRole('neck', 'neck.conv1').output).toMatch(/^conv_/);
  });
});

describe('discoverUnits on hand-made graphs', () => {
  it('sees a weight through Transpose of an initializer and a Gemm with transB', () => {
    const g = new GraphBuilder();
    const x = g.input('x', [2, 3]);
    const wt = g.op('Transpose', [g.init('w', [4, 3], new Float32Array(12))], { name: '/head/Transpose' });
    const y = g.op('MatMul', [x, wt], { name: '/head/MatMul' });
    g.op('Gemm', [y, g.init('w2', [5, 4], new Float32Array(20))], { name: '/head/Gemm', output: 'out', attributes: [{ name: 'transB', type: 2, i: 1 }] });
    g.output('out');
    const units = discoverUnits(g.toModel());
    expect(units.map((u) => [u.op, u.weight?.dims, u.weight?.channelAxis, u.weight?.path])).toEqual([
      ['MatMul', [3, 4], 1, ['/head/Transpose']],
      ['Gemm', [5, 4], 0, []],
    ]);
  });

  it('fails clearly without units and on an unsupported weight path', () => {
    const empty = new GraphBuilder();
    empty.op('Relu', [empty.input('x', [2])], { output: 'y' });
    empty.output('y');
    expect(() => discoverUnits(empty.toModel())).toThrow(/No quantizable units/);

    const g = new GraphBuilder();
    const w = g.op('Mul', [g.init('w', [3, 3], new Float32Array(9)), g.floats('k', [2])], { name: '/scale/Mul' });
    g.op('MatMul', [g.input('x', [1, 3]), w], { name: '/lin/MatMul', output: 'y' });
    g.output('y');
    expect(() => discoverUnits(g.toModel())).toThrow(/Unsupported op Mul \("\/scale\/Mul"\) on the weight path of node "\/lin\/MatMul"/);
  });
});
