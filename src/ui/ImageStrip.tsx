import { buildStudyScenes, STUDY_SCENE_COUNT } from '../state/sampleImages';
import { useStudio } from '../state/store';
import { Thumbnail } from './Thumbnail';

/** Thumbnails of all images; selecting one encodes it (once). "Study scenes" swaps in the quality study's images. */
export function ImageStrip() {
  const images = useStudio((state) => state.images);
  const selectedId = useStudio((state) => state.selectedImageId);
  const selectImage = useStudio((state) => state.selectImage);
  const replaceImages = useStudio((state) => state.replaceWithSampleImages);
  const busy = useStudio((state) => state.analysisStatus === 'running' || state.analysisStatus === 'cancelling');
  return (
    <section className="card images-card" aria-label="Images">
      <div className="card-title">
        <h2>Images</h2>
        <span className="muted images-count">{images.length}</span>
        <button
          type="button"
          className="small-button"
          disabled={busy}
          onClick={() => void replaceImages(buildStudyScenes())}
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
            <Thumbnail key={image.id} image={image} selected={image.id === selectedId} onSelect={() => selectImage(image.id)} />
          ))}
        </div>
      )}
    </section>
  );
}
