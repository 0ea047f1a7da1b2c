/**
 * A worker's model files and images, read once and kept across jobs (a worker serves many jobs of one run),
 * and checked against the job: model bytes must hash to the job's model hash, and images and settings must
 * give the job's run key, so a worker that sees other files fails the job with the reason instead of
 * storing probes under a run nobody waits for.
 */
import type { AnalysisImage } from '../../src/core/analysis/analysisEngine';
import { analysisRunKey, modelHash } from '../../src/core/analysis/analysisKeys';
import type { SamModelFiles } from '../../src/core/analysis/analysisModel';
import { validateSettings } from '../../src/core/analysis/settings';
import { imageFromFile, loadModelFiles, sampleScenes } from '../analyzeInputs';
import type { AnalysisJobData, ImageSource, ModelSource } from './analysisJobs';

const where = (model: ModelSource) => [model.dir, model.encoder, model.decoder].filter(Boolean).join(', ') || 'the demo model';

export class WorkerInputs {
  private readonly models = new Map<string, Promise<SamModelFiles>>();
  private readonly imageSets = new Map<string, Promise<AnalysisImage[]>>();

  constructor(private readonly workerName: string) {}

  /** Model files, images and settings of a job, once they match what the coordinator measured. */
  async of(job: AnalysisJobData): Promise<{ files: SamModelFiles; images: AnalysisImage[] }> {
    const files = await this.model(job.model, job.modelHash);
    const images = await this.images(job.images);
    const settings = validateSettings(job.settings);
    if (images.length < settings.imageCount) {
      throw new Error(`Worker ${this.workerName} has ${images.length} of the job's ${settings.imageCount} images.`);
    }
    const runKey = await analysisRunKey(job.modelHash, images.slice(0, settings.imageCount), settings);
    if (runKey !== job.runKey) {
      throw new Error(`The images on worker ${this.workerName} (${describeImages(job.images)}) are not the coordinator's: they give another run key. Every worker must read the same image files.`);
    }
    return { files, images };
  }

  private async model(source: ModelSource, expectedHash: string): Promise<SamModelFiles> {
    let files = await this.read(source, false);
    let hash = await modelHash(files.encoder, files.decoder);
    if (hash !== expectedHash) {
      // The cached copy may be stale (files replaced since it was read): read them once more.
      files = await this.read(source, true);
      hash = await modelHash(files.encoder, files.decoder);
    }
    if (hash !== expectedHash) {
      throw new Error(
        `The model files at ${where(source)} on worker ${this.workerName} are not the coordinator's (model hash ${hash.slice(0, 12)}… here, ` +
          `${expectedHash.slice(0, 12)}… in the job): every worker must read the same files at the same paths.`,
      );
    }
    return files;
  }

  private async read(source: ModelSource, fresh: boolean): Promise<SamModelFiles> {
    const key = JSON.stringify(source);
    let files = fresh ? undefined : this.models.get(key);
    if (!files) {
      files = loadModelFiles(source);
      this.models.set(key, files);
      files.catch(() => this.models.delete(key));
    }
    try {
      return await files;
    } catch (error) {
      throw new Error(`Worker ${this.workerName}: ${(error as Error).message}`, { cause: error });
    }
  }

  private images(source: ImageSource): Promise<AnalysisImage[]> {
    const key = JSON.stringify(source);
    let images = this.imageSets.get(key);
    if (!images) {
      images = 'samples' in source ? Promise.resolve(sampleScenes(source.samples)) : Promise.all(source.files.map(imageFromFile));
      this.imageSets.set(key, images);
      images.catch(() => this.imageSets.delete(key));
    }
    return images.catch((error: unknown) => {
      throw new Error(`Worker ${this.workerName}: ${(error as Error).message}`, { cause: error });
    });
  }
}

function describeImages(source: ImageSource): string {
  return 'samples' in source ? `${source.samples} sample scenes` : source.files.join(', ');
}
