/**
 * SAM part and role of a node, parsed from the module path torch.onnx writes into node names
 * (e.g. "/blocks.3/attn/qkv/MatMul", "/transformer/layers.0/self_attn/q_proj/MatMul"). Hierarchical
 * encoders (MobileSAM's TinyViT: "/layers.1/blocks.0/attn/qkv/MatMul", "/layers.0/downsample/conv1/c/Conv")
 * get their stage in the part. Names from other exporters fall back to "other" and the node's own name.
 */

/** Why a unit is kept at full precision by default (PTQ4SAM defaults, METHOD.md "Units"). */
export type ExclusionKey =
  | 'patch-embedding'
  | 'output-upscaling'
  | 'iou-head'
  | 'hypernetwork-mlps'
  | 'rel-pos'
  | 'mask-downscaling'
  | 'prompt-positional-encoding'
  | 'mask-product';

export const EXCLUSION_REASONS: Record<ExclusionKey, string> = {
  'patch-embedding': 'patch embedding (kept FP as in PTQ4SAM)',
  'output-upscaling': 'output upscaling (kept FP as in PTQ4SAM)',
  'iou-head': 'IoU prediction head (kept FP as in PTQ4SAM)',
  'hypernetwork-mlps': 'hypernetwork MLPs (kept FP as in PTQ4SAM)',
  'rel-pos': 'relative-position-bias table product',
  'mask-downscaling': 'prompt encoder mask downscaling',
  'prompt-positional-encoding': 'prompt encoder positional encoding of coordinates',
  'mask-product': 'mask product (hypernetwork output · upscaled embedding, kept FP as in PTQ4SAM)',
};

/**
 * Block keys of a hierarchical encoder: stage · STAGE_BLOCK_STRIDE + block within the stage, so that a key is
 * unique across stages and sorts in execution order (stage 2 block 1 → 2001).
 */
export const STAGE_BLOCK_STRIDE = 1000;

export interface NodePlace {
  /**
   * Human-readable SAM part: "encoder block 3", "encoder stage 2 block 1", "encoder stage 0 downsample",
   * "neck", "decoder layer 1", "final attention", …
   */
  part: string;
  /**
   * Block / layer index, unique and ordered within its graph, or null: the block or layer number of a plain
   * sequence (ViT blocks, decoder layers); stage · STAGE_BLOCK_STRIDE + block in a hierarchical encoder.
   */
  block: number | null;
  /** Stage of a hierarchical encoder ("layers.S" around "blocks.B" or "downsample"), else null. */
  stage: number | null;
  /** Module path inside the part ("attn", "self_attn", "mlp", "neck.0", …), or "". */
  module: string;
  /** The leaf module ("qkv", "q_proj", "lin1", …), or "" for functional ops (attention matmuls). */
  leaf: string;
  exclusion: ExclusionKey | null;
}

const ATTENTION_MODULES = ['self_attn', 'cross_attn_token_to_image', 'cross_attn_image_to_token', 'final_attn_token_to_image', 'attn'];

/** Module path segments of a node name, without the op name and exporter wrappers. */
function segments(nodeName: string): string[] {
  const parts = nodeName.split('/').filter(Boolean);
  parts.pop(); // the op name itself ("MatMul", "Conv_3")
  return parts.filter((p) => p !== 'model' && p !== 'image_encoder' && p !== 'mask_decoder' && p !== 'prompt_encoder');
}

export function placeOfNode(nodeName: string): NodePlace {
  const segs = segments(nodeName);
  const joined = `/${segs.join('/')}/`;
  const leafAfter = (index: number): string => segs.slice(index + 1).join('.');
  const none = { stage: null, exclusion: null } as const;
  const fp = (part: string, module: string, leaf: string, exclusion: ExclusionKey): NodePlace => ({ part, block: null, stage: null, module, leaf, exclusion });

  if (joined.includes('/patch_embed/')) return fp('patch embedding', 'patch_embed', tidy(segs.slice(segs.indexOf('patch_embed') + 1)).join('.'), 'patch-embedding');
  if (joined.includes('/output_upscaling/')) return fp('output upscaling', 'output_upscaling', lastIndexed(segs), 'output-upscaling');
  if (joined.includes('/iou_prediction_head/')) return fp('IoU head', 'iou_prediction_head', lastIndexed(segs), 'iou-head');
  if (joined.includes('/output_hypernetworks_mlps')) return fp('hypernetwork MLPs', segs.find((s) => s.startsWith('output_hypernetworks_mlps')) ?? '', lastIndexed(segs), 'hypernetwork-mlps');
  if (joined.includes('/mask_downscaling/')) return fp('prompt encoder', 'mask_downscaling', lastIndexed(segs), 'mask-downscaling');
  if (joined.includes('/pe_layer/')) return fp('prompt encoder', 'pe_layer', 'positional encoding', 'prompt-positional-encoding');

  const staged = stagedPlace(segs);
  if (staged) return staged;
  const blockAt = segs.findIndex((s) => /^blocks\.\d+$/.test(s));
  if (blockAt >= 0) {
    const inner = segs.slice(blockAt + 1);
    return { part: `encoder block ${segs[blockAt].split('.')[1]}`, block: Number(segs[blockAt].split('.')[1]), module: inner[0] ?? '', leaf: inner.slice(1).join('.'), ...none };
  }
  const neckAt = segs.indexOf('neck');
  if (neckAt >= 0) return { part: 'neck', block: null, module: 'neck', leaf: segs[neckAt + 1] ?? '', ...none };

  const layerAt = segs.findIndex((s) => /^layers\.\d+$/.test(s));
  if (layerAt >= 0 && segs[layerAt - 1] === 'transformer') {
    const inner = segs.slice(layerAt + 1);
    const index = Number(segs[layerAt].split('.')[1]);
    return { part: `decoder layer ${index}`, block: index, module: inner[0] ?? '', leaf: inner.slice(1).join('.'), ...none };
  }
  const finalAt = segs.indexOf('final_attn_token_to_image');
  if (finalAt >= 0) return { part: 'final attention', block: null, module: 'final_attn_token_to_image', leaf: leafAfter(finalAt), ...none };

  const attnAt = segs.findIndex((s) => ATTENTION_MODULES.includes(s));
  if (attnAt >= 0) return { part: segs.slice(0, attnAt).join('.') || 'other', block: null, module: segs[attnAt], leaf: leafAfter(attnAt), ...none };
  return { part: 'other', block: null, module: segs.slice(0, -1).join('.'), leaf: segs[segs.length - 1] ?? '', ...none };
}

/**
 * A hierarchical encoder's stage: "layers.S" (not the decoder's "transformer/layers.N") holding "blocks.B"
 * (TinyViT's MBConv or attention blocks) or "downsample" (its PatchMerging between stages).
 */
function stagedPlace(segs: string[]): NodePlace | null {
  const stageAt = segs.findIndex((s, i) => /^layers\.\d+$/.test(s) && segs[i - 1] !== 'transformer');
  if (stageAt < 0) return null;
  const stage = indexOf(segs[stageAt]);
  const next = segs[stageAt + 1] ?? '';
  const inner = tidy(segs.slice(stageAt + 2));
  const rest = { module: inner[0] ?? '', leaf: inner.slice(1).join('.'), exclusion: null };
  if (/^blocks\.\d+$/.test(next)) {
    const block = indexOf(next);
    return { part: `encoder stage ${stage} block ${block}`, block: stage * STAGE_BLOCK_STRIDE + block, stage, ...rest };
  }
  if (next === 'downsample') return { part: `encoder stage ${stage} downsample`, block: null, stage, ...rest };
  return null;
}

/** "blocks.12" → 12. */
function indexOf(segment: string): number {
  return Number(segment.slice(segment.lastIndexOf('.') + 1));
}

/**
 * Module path without export noise: a Sequential's own name before its children ("seq", "seq.0" → "seq.0") and
 * the "c" of a Conv2d_BN wrapper ("conv1", "c" → "conv1"), as TinyViT writes them.
 */
function tidy(path: string[]): string[] {
  const kept = path.filter((s, i) => !(path[i + 1]?.startsWith(`${s}.`) ?? false));
  return kept.length > 1 && kept[kept.length - 1] === 'c' ? kept.slice(0, -1) : kept;
}

/** "layers.2" → "2", for Sequential children. */
function lastIndexed(segs: string[]): string {
  const last = segs[segs.length - 1] ?? '';
  return last.replace(/^[a-z_]+\./, '');
}

/** Role label shown to users and used in reports, e.g. "qkv", "mlp.lin1", "self_attn.q_proj", "neck.conv1". */
export function roleOf(place: NodePlace, activationRole: 'q·kᵀ' | 'softmax·v' | null, neckIndex: number): string {
  const { module, leaf } = place;
  if (place.part === 'neck') return `neck.conv${neckIndex + 1}`;
  if (activationRole) {
    if (place.part === 'final attention') return `final_attn.${activationRole}`;
    if (module === 'attn' || module === '') return activationRole;
    return `${module}.${activationRole}`;
  }
  if (module === 'attn') return leaf || 'attn';
  if (place.part.startsWith('encoder block') || place.stage !== null) return [module, leaf].filter(Boolean).join('.');
  if (place.part.startsWith('decoder layer') || place.part === 'final attention') {
    if (place.part === 'final attention') return `final_attn.${leaf}`;
    return [module, leaf].filter(Boolean).join('.');
  }
  if (place.exclusion) return [module, leaf].filter(Boolean).join('.');
  return [module, leaf].filter(Boolean).join('.') || 'unit';
}
