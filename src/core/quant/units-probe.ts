/** Unit discovery with shapes measured by one run, for exports without value_info (e.g. torch.onnx's). */
import { probeShapes, type OrtFeeds, type OrtModule } from '../onnx/ort.ts';
import type { ModelProto } from '../onnx/proto.ts';
import { discoverUnits, shapeProbeNames, type DiscoverOptions, type QuantUnit } from './units.ts';

/**
 * Like discoverUnits, with MACs from the shapes of one run on `feeds` (decoder MACs depend on the
 * number of prompt points fed: pass the prompt shape the analysis uses).
 */
export async function discoverUnitsProbed(ort: OrtModule, model: ModelProto, feeds: OrtFeeds, options: DiscoverOptions = {}): Promise<QuantUnit[]> {
  const shapes = await probeShapes(ort, model, feeds, shapeProbeNames(model));
  return discoverUnits(model, { ...options, shapes: new Map([...(options.shapes ?? []), ...shapes]) });
}
