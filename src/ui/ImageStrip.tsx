import { useState } from 'react';
import { buildStudyScenes, STUDY_SCENE_COUNT } from '../state/sampleImages';
import { useStudio } from '../state/store';
import { ConfirmDialog, type ConfirmRequest } from './ConfirmDialog';
import { Thumbnail } from './Thumbnail';
import './imageStrip.css';

/** Names for a sentence: "a.png", "a.png and b.png", "a.png, b.png and 3 more". */
function namesInWords(names: readonly string[]): string {
  if (names.length <= 2) return names.join(' and ');
  return names.length === 3 ? `${names[0]}, ${names[1]} and ${names[2]}` : `${names[0]}, ${names[1]} and ${names.length - 2} more`;
}

/**
 * Thumbnails of all images; selecting one encodes it (once), × removes one of the user's images. "Study
 * scenes" swaps in the quality study's images after asking, since it replaces what is in the strip.
 */
export function ImageStrip() {
  const images = useStudio((state) => state.images);
  const selectedId = useStudio((state) => state.selectedImageId);
  const selectImage = useStudio((state) => state.selectImage);
  const removeImage = useStudio((state) => state.removeImage);
  const replaceImages = useStudio((state) => state.replaceWithSampleImages);
  const analysedIds = useStudio((state) => (state.analysisResults ? state.analysisInputs?.imageIds : undefined));
  const busy = useStudio((state) => state.analysisStatus === 'running' || state.analysisStatus === 'cancelling');
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const ownImages = images.filter((image) => image.origin === 'file');
  const askStudyScenes = () => {
    const analysed = images.some((image) => analysedIds?.includes(image.id));
    setConfirm({
      title: 'Replace the images with the study scenes?',
      message: (
        <>
          <p>
            The {images.length} image{images.length === 1 ? '' : 's'} in the strip {images.length === 1 ? 'is' : 'are'} replaced by the quality study&apos;s {STUDY_SCENE_COUNT}{' '}
            calibration scenes.
          </p>
          {ownImages.length > 0 && <p>Your images ({namesInWords(ownImages.map((image) => image.name))}) are removed; drop them again to get them back.</p>}
          {analysed && <p>The analysis was measured on these images: it is cleared, with its budget and previews.</p>}
        </>
      ),
      confirmLabel: 'Replace images',
      onConfirm: () => void replaceImages(buildStudyScenes()),
    });
  };
  const askRemove = (id: string, name: string) => {
    if (!analysedIds?.includes(id)) return removeImage(id);
    setConfirm({
      title: `Remove ${name}?`,
      message: <p>The analysis was measured on {name}: removing it clears the analysis, with its budget and previews. Probes measured on it stay stored.</p>,
      confirmLabel: 'Remove image',
      onConfirm: () => removeImage(id),
    });
  };
  return (
    <section className="card images-card" aria-label="Images" data-testid="image-strip">
      <div className="card-title">
        <h2>Images</h2>
        <span className="muted images-count">{images.length}</span>
        <button
          type="button"
          className="small-button"
          disabled={busy}
          onClick={askStudyScenes}
          title={`Replace the images with the quality study's ${STUDY_SCENE_COUNT} calibration scenes (seeds 500001…, objects known), as npm run bench:quality analyses them`}
        >
          Study scenes
        </button>
      </div>
      {images.length === 0 ? (
        <p className="muted">No images yet.</p>
      ) : (
        <div className="thumbnail-grid">
          {images.map((image) => (
            <Thumbnail
              key={image.id}
              image={image}
              selected={image.id === selectedId}
              onSelect={() => selectImage(image.id)}
              onRemove={image.origin === 'file' && !busy ? () => askRemove(image.id, image.name) : undefined}
            />
          ))}
        </div>
      )}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </section>
  );
}
