/**
 * FP-exact rewrites of a SAM's files before quantization, with statistics from the calibration images.
 * - Outlier migration (quant/migrate.ts): per-channel max |x| of the encoder's LayerNorm outputs, scales
 *   moved into the next weights. Only the encoder: each decoder LayerNorm also feeds a residual Add.
 * - BIG (quant/big.ts): the sign of the decoder's token→image keys folded into their q and k projections,
 *   from the keys' statistics over the calibration prompts on the FP embeddings.
 * The rewritten files are a model of their own (another content hash): analyse them, not the original.
 */
import type { OrtModule, SessionOptions } from '../onnx/ort';
import { encodeModelBytes } from '../onnx/proto';
import { applyBig, collectBigStats, type BigSiteReport } from '../quant/big';
import { collectMigrationStats, migrateOutliers, type MigrationReport } from '../quant/migrate';
import type { AnalysisImage } from './analysisEngine';
import { imageFeeds, prepareSam, promptFeeds, type CalibrationItem, type SamModelFiles } from './analysisModel';

export async function migrateSamEncoder(
  ort: OrtModule,
  files: SamModelFiles,
  images: readonly AnalysisImage[],
  alpha: number,
  sessionOptions?: SessionOptions,
): Promise<{ files: SamModelFiles; report: MigrationReport }> {
  if (images.length === 0) throw new Error('Outlier migration needs at least one calibration image.');
  const sam = prepareSam(files);
  const feeds = images.map((entry) => imageFeeds(ort, sam, entry.image));
  const stats = await collectMigrationStats(ort, sam.encoder, feeds, sessionOptions);
  const { model, report } = migrateOutliers(sam.encoder, stats, { alpha });
  return { files: { ...files, encoder: encodeModelBytes(model) }, report };
}

export async function applySamBig(ort: OrtModule, files: SamModelFiles, items: readonly CalibrationItem[], sessionOptions?: SessionOptions): Promise<{ files: SamModelFiles; report: BigSiteReport[] }> {
  if (items.length === 0) throw new Error('BIG needs at least one calibration image.');
  const sam = prepareSam(files);
  const encoder = await ort.InferenceSession.create(files.encoder, sessionOptions);
  const feeds = [];
  try {
    for (const item of items) {
      const outputs = await encoder.run(imageFeeds(ort, sam, item.image));
      const embeddings = Object.fromEntries(sam.adapter.embeddingNames.map((name) => [name, outputs[name]]));
      feeds.push(...promptFeeds(ort, sam, item).runs.map((run) => ({ ...run, ...embeddings })));
    }
  } finally {
    await encoder.release();
  }
  const stats = await collectBigStats(ort, sam.decoder, feeds, sessionOptions);
  const { model, report } = applyBig(sam.decoder, stats);
  return { files: { ...files, decoder: encodeModelBytes(model) }, report };
}
