import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildEncoder, TINY_ENCODER } from '../../../bench/sam-graph.ts';
import { GraphBuilder } from '../onnx/builder.ts';
import type { OrtModule } from '../onnx/ort.ts';
import { decodeModel } from '../onnx/proto.ts';
import { discoverUnits, type QuantUnit } from './units.ts';
import { discoverUnitsProbed } from './units-probe.ts';

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

describe('discoverUnits on the demo SAM (public/models/demo-sam)', () => {
  const file = (name: string) => new URL(`../../../public/models/demo-sam/${name}`, import.meta.url);
  const arch = JSON.parse(readFileSync(file('model.json'), 'utf8')).architecture;
  const ortModule = ort as unknown as OrtModule;
  const tensor = (dims: number[], values?: number[]) => new ort.Tensor('float32', values ? Float32Array.from(values) : new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);

  it('encoder: units, parameters and MACs from the architecture by hand', async () => {
    const units = await discoverUnitsProbed(ortModule, decodeModel(readFileSync(file('encoder.onnx'))), { input_image: tensor([1, 3, 256, 256]) });
    const C = arch.encoder_embed_dim; // 160
    const grid = arch.img_size / arch.patch_size; // 16 → 256 tokens
    const tokens = grid * grid;
    const heads = arch.encoder_num_heads;
    const d = C / heads;
    const window = arch.encoder_window_size; // 8: 4 windows of 64 tokens (16 divisible by 8, no padding)
    const windows = (grid / window) ** 2;
    const attentionMacs = (k: number) => (arch.encoder_global_attn_indexes.includes(k) ? heads * tokens * tokens * d : windows * heads * window ** 2 * window ** 2 * d);
    const expected: [string, number, number][] = [['patch_embed.proj', C * 3 * 16 * 16, C * tokens * 3 * 16 * 16]];
    for (let k = 0; k < arch.encoder_depth; k++) {
      expected.push(
        ['qkv', C * 3 * C, tokens * 3 * C * C],
        ['q·kᵀ', 0, attentionMacs(k)],
        ['softmax·v', 0, attentionMacs(k)],
        ['proj', C * C, tokens * C * C],
        ['mlp.lin1', C * 4 * C, tokens * 4 * C * C],
        ['mlp.lin2', 4 * C * C, tokens * C * 4 * C],
      );
    }
    const neck = arch.prompt_embed_dim; // 128
    expected.push(['neck.conv1', neck * C, neck * tokens * C], ['neck.conv2', neck * neck * 9, neck * tokens * neck * 9]);
    expect(units.map((u) => [u.role, u.params, u.macs])).toEqual(expected);
    expect(units.length).toBe(39);
    expect(units.filter((u) => u.excludedByDefault).map((u) => u.part)).toEqual(['patch embedding']);
    // Parameters of the quantizable weights against the model card's image-encoder total (the rest: biases, norms, pos/rel-pos).
    expect(units.reduce((s, u) => s + u.params, 0)).toBeLessThan(JSON.parse(readFileSync(file('model.json'), 'utf8')).parameters.imageEncoder);
  });

  it('decoder (one box = 2 points): units, parameters and MACs by hand', async () => {
    const feeds = {
      image_embeddings: tensor([1, 128, 16, 16]),
      point_coords: tensor([1, 2, 2], [10, 10, 100, 120]),
      point_labels: tensor([1, 2], [2, 3]),
      mask_input: tensor([1, 1, 64, 64]),
      has_mask_input: tensor([1], [0]),
      orig_im_size: tensor([2], [256, 256]),
    };
    const units = await discoverUnitsProbed(ortModule, decodeModel(readFileSync(file('decoder.onnx'))), feeds);
    const C = arch.prompt_embed_dim; // 128
    const T = 1 + 4 + 2; // IoU token, 4 mask tokens, 2 box corners
    const I = 16 * 16; // image tokens
    const heads = arch.decoder_num_heads;
    const inner = C / 2; // cross attention downsample rate 2
    const attention = (prefix: string, nq: number, nk: number, width: number): [string, number, number][] => [
      [`${prefix}.q_proj`, C * width, nq * width * C],
      [`${prefix}.k_proj`, C * width, nk * width * C],
      [`${prefix}.v_proj`, C * width, nk * width * C],
      [`${prefix}.q·kᵀ`, 0, heads * nq * nk * (width / heads)],
      [`${prefix}.softmax·v`, 0, heads * nq * nk * (width / heads)],
      [`${prefix}.out_proj`, width * C, nq * C * width],
    ];
    const layers: [string, number, number][] = [];
    for (let k = 0; k < arch.decoder_depth; k++) {
      layers.push(
        ...attention('self_attn', T, T, C),
        ...attention('cross_attn_token_to_image', T, I, inner),
        ['mlp.lin1', C * arch.decoder_mlp_dim, T * arch.decoder_mlp_dim * C],
        ['mlp.lin2', arch.decoder_mlp_dim * C, T * C * arch.decoder_mlp_dim],
        ...attention('cross_attn_image_to_token', I, T, inner),
      );
    }
    const included = units.filter((u) => !u.excludedByDefault);
    expect(included.map((u) => [u.role, u.params, u.macs])).toEqual([...layers, ...attention('final_attn', T, I, inner)]);
    expect(included.length).toBe(46);
    const excluded = units.filter((u) => u.excludedByDefault);
    const countBy = (key: (u: QuantUnit) => string) => excluded.reduce<Record<string, number>>((m, u) => ({ ...m, [key(u)]: (m[key(u)] ?? 0) + 1 }), {});
    expect(countBy((u) => u.part)).toEqual({ 'prompt encoder': 4, 'output upscaling': 2, 'hypernetwork MLPs': 12, 'mask prediction': 1, 'IoU head': 3 });
    // ConvTranspose 128→32, k 2, stride 2 on 16×16: each input element scatters into 32·2·2 outputs.
    expect(units.find((u) => u.role === 'output_upscaling.0')).toMatchObject({ params: 128 * 32 * 4, macs: 128 * I * 32 * 4 });
  });
});

describe('discoverUnits on MobileSAM (TinyViT encoder, real export in ../shared/fixtures)', () => {
  const folder = fileURLToPath(new URL('../../../../shared/fixtures/mobilesam-random/', import.meta.url));
  const present = existsSync(`${folder}encoder.onnx`);
  if (!present) console.log(`Skipping the MobileSAM unit-label test: no fixture at ${folder} (the shared fixtures folder beside the repository).`);

  it.skipIf(!present)('gives every unit a unique "part · role" label with its stage', () => {
    const units = discoverUnits(decodeModel(readFileSync(`${folder}encoder.onnx`)));
    const labels = units.map((u) => `${u.part} · ${u.role}`);
    expect(new Set(labels).size).toBe(labels.length);
    expect(units).toHaveLength(89);
    const parts = [...new Set(units.map((u) => u.part))];
    const depths = [2, 2, 6, 2];
    expect(parts).toEqual([
      'patch embedding',
      ...depths.flatMap((depth, s) => [
        ...Array.from({ length: depth }, (_, b) => `encoder stage ${s} block ${b}`),
        ...(s < 3 ? [`encoder stage ${s} downsample`] : []),
      ]),
      'neck',
    ]);
    expect(labels.slice(0, 5)).toEqual(['patch embedding · patch_embed.seq.0', 'patch embedding · patch_embed.seq.2', 'encoder stage 0 block 0 · conv1', 'encoder stage 0 block 0 · conv2', 'encoder stage 0 block 0 · conv3']);
    expect(units.filter((u) => u.part === 'encoder stage 2 block 1').map((u) => u.role)).toEqual(['qkv', 'q·kᵀ', 'softmax·v', 'proj', 'local_conv', 'mlp.fc1', 'mlp.fc2']);
    expect(units.filter((u) => u.part === 'encoder stage 1 downsample').map((u) => u.role)).toEqual(['conv1', 'conv2', 'conv3']);
    const blocks = units.map((u) => u.block).filter((b): b is number => b !== null);
    expect(blocks).toEqual([...blocks].sort((a, b) => a - b));
    expect(new Set(blocks).size).toBe(12);
    expect(units.filter((u) => u.excludedByDefault).map((u) => u.part)).toEqual(['patch embedding', 'patch embedding']);
  });
});
