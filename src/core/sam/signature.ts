import type { ModelSignature, TensorSpec } from './types';

/** The shape of onnxruntime's inputMetadata/outputMetadata entries (web and node), without importing a runtime. */
export interface ValueMetadataLike {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: ReadonlyArray<number | string>;
}

/** Reads a session's IO names, types and shapes into plain data for format detection. */
export function signatureFromMetadata(inputs: readonly ValueMetadataLike[], outputs: readonly ValueMetadataLike[]): ModelSignature {
  const spec = (meta: ValueMetadataLike): TensorSpec => ({
    name: meta.name,
    type: meta.isTensor ? (meta.type ?? '') : 'non-tensor',
    shape: meta.isTensor ? [...(meta.shape ?? [])] : [],
  });
  return { inputs: inputs.map(spec), outputs: outputs.map(spec) };
}
