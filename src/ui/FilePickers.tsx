import { useRef } from 'react';
import { addFiles } from '../state/addFiles';

/** The drop target's visible part: where to drop, and buttons for people who prefer a file dialog. */
export function FilePickers() {
  const modelInput = useRef<HTMLInputElement>(null);
  const imageInput = useRef<HTMLInputElement>(null);
  const resultsInput = useRef<HTMLInputElement>(null);
  const pick = (input: HTMLInputElement | null) => {
    if (!input?.files) return;
    const files = [...input.files];
    input.value = ''; // picking the same file again still fires change
    void addFiles(files);
  };
  return (
    <section className="card drop-zone" aria-label="Add files">
      <p>
        <strong>Drop files anywhere</strong>
        <br />
        <span className="muted">
          SAM encoder/decoder .onnx (with model.json if you have one), PNG / JPEG / WebP images, or analysis results of npm run analyze (.json).
        </span>
      </p>
      <div className="picker-buttons">
        <button type="button" onClick={() => modelInput.current?.click()}>
          Add model files…
        </button>
        <button type="button" onClick={() => imageInput.current?.click()}>
          Add images…
        </button>
        <button type="button" onClick={() => resultsInput.current?.click()}>
          Import analysis…
        </button>
      </div>
      <input ref={modelInput} type="file" accept=".onnx,.json" multiple hidden data-testid="model-file-input" onChange={(event) => pick(event.currentTarget)} />
      <input ref={resultsInput} type="file" accept=".json,application/json" hidden data-testid="results-file-input" onChange={(event) => pick(event.currentTarget)} />
      <input ref={imageInput} type="file" accept="image/png,image/jpeg,image/webp" multiple hidden data-testid="image-file-input" onChange={(event) => pick(event.currentTarget)} />
    </section>
  );
}
