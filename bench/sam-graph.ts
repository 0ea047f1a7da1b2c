/**
 * Synthetic SAM-contract graphs written in TypeScript: a ViT image encoder (Meta node names,
 * global attention, optional decomposed relative-position term, neck) and a small two-way mask
 * decoder (Meta IO names). Random weights from a seeded generator. Used by tests (small sizes)
 * and by bench/quant-scale.ts (ViT-B size). Shapes are written as value_info, as torch.onnx does.
 */
import { GraphBuilder, valueInfo } from '../src/core/onnx/builder.ts';
import { floatAttr, intAttr, intsAttr } from '../src/core/onnx/graph.ts';
import type { AttributeProto, ModelProto } from '../src/core/onnx/proto.ts';
import { DataType } from '../src/core/onnx/tensor.ts';

/** mulberry32: small, fast, seeded. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A builder that also records value shapes and writes them as value_info. */
export class ShapedBuilder extends GraphBuilder {
  readonly shapes = new Map<string, number[]>();
  constructor(private readonly random: () => number) {
    super();
  }

  shaped(name: string, dims: number[]): string {
    this.shapes.set(name, dims);
    return name;
  }

  /** Uniform(−a, a) weights with a = √(3/fanIn) (unit-variance outputs). */
  weight(name: string, dims: number[], fanIn: number, scale = 1): string {
    const bound = Math.sqrt(3 / fanIn) * scale;
    const n = dims.reduce((x, y) => x * y, 1);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = (this.random() * 2 - 1) * bound;
    return this.shaped(this.init(name, dims, values), dims);
  }

  constant(name: string, dims: number[], value: number): string {
    return this.shaped(this.init(name, dims, new Float32Array(dims.reduce((x, y) => x * y, 1)).fill(value)), dims);
  }

  /** Op with a known output shape. */
  sop(op: string, inputs: string[], dims: number[], name?: string, attributes: AttributeProto[] = []): string {
    return this.shaped(this.op(op, inputs, { name, attributes }), dims);
  }

  reshape(x: string, dims: number[], name: string): string {
    return this.sop('Reshape', [x, this.ints64('shape', dims)], dims, name);
  }

  transpose(x: string, perm: number[], name: string): string {
    const inDims = this.shapes.get(x)!;
    return this.sop('Transpose', [x], perm.map((p) => inDims[p]), name, [intsAttr('perm', perm)]);
  }

  /** x·W + b with Meta's names: `${path}/MatMul`, `${path}/Add`. */
  linear(x: string, inF: number, outF: number, path: string, bias = true): string {
    const inDims = this.shapes.get(x)!;
    const outDims = [...inDims.slice(0, -1), outF];
    const w = this.weight(`${path.slice(1).replaceAll('/', '.')}.weight_t`, [inF, outF], inF);
    const y = this.sop('MatMul', [x, w], outDims, `${path}/MatMul`);
    if (!bias) return y;
    const b = this.weight(`${path.slice(1).replaceAll('/', '.')}.bias`, [outF], inF, 0.1);
    return this.sop('Add', [y, b], outDims, `${path}/Add`);
  }

  layerNorm(x: string, width: number, path: string): string {
    const g = this.constant(`${path.slice(1)}.weight`, [width], 1);
    const b = this.constant(`${path.slice(1)}.bias`, [width], 0);
    return this.sop('LayerNormalization', [x, g, b], this.shapes.get(x)!, `${path}/LayerNormalization`, [intAttr('axis', -1), floatAttr('epsilon', 1e-6)]);
  }

  /** GELU as torch 1.13 exports it: x·0.5·(1 + erf(x/√2)). */
  gelu(x: string, path: string): string {
    const dims = this.shapes.get(x)!;
    const e = this.sop('Erf', [this.sop('Div', [x, this.floats('sqrt2', [Math.SQRT2])], dims, `${path}/Div`)], dims, `${path}/Erf`);
    const one = this.sop('Add', [e, this.floats('one', [1])], dims, `${path}/Add`);
    return this.sop('Mul', [this.sop('Mul', [x, one], dims, `${path}/Mul`), this.floats('half', [0.5])], dims, `${path}/Mul_1`);
  }

  /** Multi-head attention core: softmax(q·kᵀ/√d)·v over [B·h, N, d] inputs (Meta names MatMul, MatMul_1). */
  attentionCore(q: string, k: string, v: string, path: string, extraLogits?: (logits: string) => string): string {
    const [bh, nq, d] = this.shapes.get(q)!;
    const nk = this.shapes.get(k)![1];
    const qs = this.sop('Mul', [q, this.floats('scale', [1 / Math.sqrt(d)])], [bh, nq, d], `${path}/Mul`);
    const kt = this.transpose(k, [0, 2, 1], `${path}/Transpose_k`);
    let logits = this.sop('MatMul', [qs, kt], [bh, nq, nk], `${path}/MatMul`);
    if (extraLogits) logits = extraLogits(logits);
    const attn = this.sop('Softmax', [logits], [bh, nq, nk], `${path}/Softmax`, [intAttr('axis', -1)]);
    return this.sop('MatMul', [attn, v], [bh, nq, d], `${path}/MatMul_1`);
  }

  finish(opset: number): ModelProto {
    const model = this.toModel(opset);
    const declared = new Set([...this.inputs, ...this.outputs].map((v) => v.name));
    const inits = new Set(this.initializers.map((t) => t.name));
    model.graph!.valueInfo = [...this.shapes].filter(([n]) => !declared.has(n) && !inits.has(n)).map(([n, dims]) => valueInfo(n, DataType.FLOAT, dims));
    return model;
  }
}

export interface EncoderSpec {
  imageSize: number;
  patch: number;
  width: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  neckChannels: number;
  /** Adds SAM's decomposed relative-position term (rel_h only) as a MatMul against a constant table. */
  relPos: boolean;
  seed: number;
  opset: number;
}

export const TINY_ENCODER: EncoderSpec = { imageSize: 32, patch: 8, width: 16, depth: 2, heads: 2, mlpRatio: 2, neckChannels: 8, relPos: true, seed: 1, opset: 17 };
/** SAM ViT-B sizes (global attention in every block; SAM windows most blocks). */
export const VIT_B_ENCODER: EncoderSpec = { imageSize: 1024, patch: 16, width: 768, depth: 12, heads: 12, mlpRatio: 4, neckChannels: 256, relPos: false, seed: 7, opset: 17 };

/** input_image [1,3,S,S] → image_embeddings [1,neck,S/p,S/p]. */
export function buildEncoder(spec: EncoderSpec): ModelProto {
  const g = new ShapedBuilder(seededRandom(spec.seed));
  const { width: C, heads, patch } = spec;
  const grid = spec.imageSize / patch;
  const N = grid * grid;
  const d = C / heads;
  const image = g.shaped(g.input('input_image', [1, 3, spec.imageSize, spec.imageSize]), [1, 3, spec.imageSize, spec.imageSize]);
  const pw = g.weight('patch_embed.proj.weight', [C, 3, patch, patch], 3 * patch * patch);
  const pb = g.weight('patch_embed.proj.bias', [C], 3 * patch * patch, 0.1);
  let x = g.sop('Conv', [image, pw, pb], [1, C, grid, grid], '/patch_embed/proj/Conv', [intsAttr('kernel_shape', [patch, patch]), intsAttr('strides', [patch, patch])]);
  x = g.transpose(x, [0, 2, 3, 1], '/patch_embed/Transpose');
  x = g.sop('Add', [x, g.weight('pos_embed', [1, grid, grid, C], 1, 0.02)], [1, grid, grid, C], '/Add');
  x = g.reshape(x, [1, N, C], '/Reshape');
  for (let k = 0; k < spec.depth; k++) {
    const p = `/blocks.${k}`;
    const h = g.layerNorm(x, C, `${p}/norm1`);
    const qkv = g.linear(h, C, 3 * C, `${p}/attn/qkv`);
    const split = g.transpose(g.reshape(qkv, [1, N, 3, heads, d], `${p}/attn/Reshape`), [2, 0, 3, 1, 4], `${p}/attn/Transpose`);
    const parts = g.node('Split', [split], { outputs: 3, name: `${p}/attn/Split`, attributes: [intAttr('axis', 0)] });
    const [q, kk, v] = parts.map((t, i) => g.reshape(g.shaped(t, [1, 1, heads, N, d]), [heads, N, d], `${p}/attn/Reshape_${i + 1}`));
    const relPos = spec.relPos
      ? (logits: string) => {
          // rel_h = q·R_hᵀ per query row (R_h a constant table), added along key rows.
          const rq = g.reshape(q, [heads, grid, grid, d], `${p}/attn/Reshape_rq`);
          const table = g.weight(`blocks.${k}.attn.rel_pos_h_table`, [grid, d, grid], d, 0.1);
          const relH = g.sop('MatMul', [rq, table], [heads, grid, grid, grid], `${p}/attn/rel_pos/MatMul`);
          const biased = g.sop('Add', [g.reshape(logits, [heads, grid, grid, grid, grid], `${p}/attn/Reshape_logits`), g.sop('Unsqueeze', [relH, g.ints64('axes', [-1])], [heads, grid, grid, grid, 1], `${p}/attn/Unsqueeze`)], [heads, grid, grid, grid, grid], `${p}/attn/Add_rel`);
          return g.reshape(biased, [heads, N, N], `${p}/attn/Reshape_back`);
        }
      : undefined;
    const o = g.attentionCore(q, kk, v, `${p}/attn`, relPos);
    const merged = g.reshape(g.transpose(g.reshape(o, [1, heads, N, d], `${p}/attn/Reshape_o`), [0, 2, 1, 3], `${p}/attn/Transpose_o`), [1, N, C], `${p}/attn/Reshape_merge`);
    x = g.sop('Add', [x, g.linear(merged, C, C, `${p}/attn/proj`)], [1, N, C], `${p}/Add`);
    const m = g.linear(g.gelu(g.linear(g.layerNorm(x, C, `${p}/norm2`), C, C * spec.mlpRatio, `${p}/mlp/lin1`), `${p}/mlp/act`), C * spec.mlpRatio, C, `${p}/mlp/lin2`);
    x = g.sop('Add', [x, m], [1, N, C], `${p}/Add_1`);
  }
  x = g.transpose(g.reshape(x, [1, grid, grid, C], '/Reshape_1'), [0, 3, 1, 2], '/Transpose');
  const nc = spec.neckChannels;
  x = g.sop('Conv', [x, g.weight('neck.0.weight', [nc, C, 1, 1], C)], [1, nc, grid, grid], '/neck/neck.0/Conv', [intsAttr('kernel_shape', [1, 1])]);
  x = layerNorm2d(g, x, nc, '/neck/neck.1');
  x = g.sop('Conv', [x, g.weight('neck.2.weight', [nc, nc, 3, 3], nc * 9)], [1, nc, grid, grid], '/neck/neck.2/Conv', [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1])]);
  x = layerNorm2d(g, x, nc, '/neck/neck.3');
  g.node('Identity', [x], { outputs: ['image_embeddings'], name: '/Identity' });
  g.output('image_embeddings', DataType.FLOAT, [1, nc, grid, grid]);
  return g.finish(spec.opset);
}

/** SAM's LayerNorm2d as exported: ReduceMean over channels (axes attribute, opset ≤ 17). */
function layerNorm2d(g: ShapedBuilder, x: string, channels: number, path: string): string {
  const dims = g.shapes.get(x)!;
  const mdims = [dims[0], 1, dims[2], dims[3]];
  const mean = g.sop('ReduceMean', [x], mdims, `${path}/ReduceMean`, [intsAttr('axes', [1]), intAttr('keepdims', 1)]);
  const centered = g.sop('Sub', [x, mean], dims, `${path}/Sub`);
  const variance = g.sop('ReduceMean', [g.sop('Pow', [centered, g.floats('two', [2])], dims, `${path}/Pow`)], mdims, `${path}/ReduceMean_1`, [intsAttr('axes', [1]), intAttr('keepdims', 1)]);
  const normed = g.sop('Div', [centered, g.sop('Sqrt', [g.sop('Add', [variance, g.floats('eps', [1e-6])], mdims, `${path}/Add`)], mdims, `${path}/Sqrt`)], dims, `${path}/Div`);
  const scaled = g.sop('Mul', [normed, g.constant(`${path.slice(1)}.weight`, [channels, 1, 1], 1)], dims, `${path}/Mul`);
  return g.sop('Add', [scaled, g.constant(`${path.slice(1)}.bias`, [channels, 1, 1], 0)], dims, `${path}/Add_1`);
}
