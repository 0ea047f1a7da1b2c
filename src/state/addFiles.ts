import { looksLikeResultsFile } from '../core/analysis/resultsFile';
import { isImageFile, isModelManifestFile, isOnnxFile } from './imageFiles';
import { useStudio } from './store';

const isJsonFile = (file: File) => /\.json$/i.test(file.name);

/** JSON files that are analysis results of npm run analyze (read, since any name may hold one). */
async function resultsFiles(files: readonly File[]): Promise<File[]> {
  const checked = await Promise.all(
    files.map(async (file) => {
      try {
        return looksLikeResultsFile(JSON.parse(await file.text()));
      } catch {
        return false;
      }
    }),
  );
  return files.filter((_, i) => checked[i]);
}

/**
 * Dispatches dropped or picked files: .onnx and model.json to the model, images to the strip, analysis results
 * (.json of npm run analyze) to the analysis once the model dropped with them is loaded, the rest refused by name.
 */
export async function addFiles(files: readonly File[]): Promise<void> {
  const { addModelFiles, addImageFiles, importResultsFile, pushToast } = useStudio.getState();
  const modelFiles = files.filter((file) => isOnnxFile(file) || isModelManifestFile(file));
  const imageFiles = files.filter(isImageFile);
  const results = await resultsFiles(files.filter((file) => isJsonFile(file) && !modelFiles.includes(file)));
  for (const file of files) {
    if (!modelFiles.includes(file) && !imageFiles.includes(file) && !results.includes(file)) {
      pushToast(
        'error',
        `Cannot use ${file.name}`,
        isJsonFile(file)
          ? 'This JSON file is neither a model.json nor analysis results of npm run analyze.'
          : 'Drop SAM model files (.onnx, optionally model.json), images (PNG, JPEG, WebP) or analysis results (.json of npm run analyze).',
      );
    }
  }
  await Promise.all([modelFiles.length > 0 ? addModelFiles(modelFiles) : null, imageFiles.length > 0 ? addImageFiles(imageFiles) : null]);
  for (const file of results) await importResultsFile(file);
}
