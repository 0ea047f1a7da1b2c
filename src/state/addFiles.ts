import { isImageFile, isModelManifestFile, isOnnxFile } from './imageFiles';
import { useStudio } from './store';

/** Dispatches dropped or picked files: .onnx and model.json to the model, images to the strip, the rest refused by name. */
export async function addFiles(files: readonly File[]): Promise<void> {
  const { addModelFiles, addImageFiles, pushToast } = useStudio.getState();
  const modelFiles = files.filter((file) => isOnnxFile(file) || isModelManifestFile(file));
  const imageFiles = files.filter(isImageFile);
  for (const file of files) {
    if (!modelFiles.includes(file) && !imageFiles.includes(file)) {
      pushToast('error', `Cannot use ${file.name}`, 'Drop SAM model files (.onnx, optionally model.json) or images (PNG, JPEG, WebP).');
    }
  }
  await Promise.all([modelFiles.length > 0 ? addModelFiles(modelFiles) : null, imageFiles.length > 0 ? addImageFiles(imageFiles) : null]);
}
