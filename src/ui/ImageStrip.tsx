import { useStudio } from '../state/store';
import { Thumbnail } from './Thumbnail';

/** Thumbnails of all images; selecting one encodes it (once). */
export function ImageStrip() {
  const images = useStudio((state) => state.images);
  const selectedId = useStudio((state) => state.selectedImageId);
  const selectImage = useStudio((state) => state.selectImage);
  return (
    <section className="card images-card" aria-label="Images">
      <div className="card-title">
        <h2>Images</h2>
        <span className="muted">{images.length}</span>
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
