/**
 * Outlier migration (quant/migrate.ts) for a SAM's files: per-channel max |x| of the encoder's LayerNorm
 * outputs over the calibration images, then the FP-exact rewrite. The decoder is returned as it came: each
 * of its LayerNorms also feeds a residual Add, so none can be migrated. The rewritten files are a model
 * of their own (another content hash): analyse them, not the original.
 */
import type { OrtModule, SessionOptions } from '../onnx/ort';
import { encodeModelBytes } from '../onnx/proto';
import { collectMigrationStats, migrateOutliers, type MigrationReport } from '../quant/migrate';
import type { AnalysisImage } from './analysisEngine';
import { imageFeeds, prepareSam, type SamModelFiles } from './analysisModel';

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
