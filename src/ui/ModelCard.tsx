import { useStudio } from '../state/store';
import type { ModelPartCard } from '../state/modelSlice';
import { formatBytes, formatLabels } from './format';

const statusText = { empty: 'No model', loading: 'Loading…', ready: 'Ready', incomplete: 'Incomplete', mismatch: 'Parts do not match' } as const;

/** The loaded SAM: name, format, file names and sizes, and what is missing. */
export function ModelCard() {
  const name = useStudio((state) => state.modelName);
  const note = useStudio((state) => state.modelNote);
  const status = useStudio((state) => state.modelStatus);
  const message = useStudio((state) => state.modelMessage);
  const encoder = useStudio((state) => state.encoderPart);
  const decoder = useStudio((state) => state.decoderPart);
  const format = encoder?.format ?? decoder?.format;
  return (
    <section className="card model-card" aria-label="Model" data-testid="model-card" data-status={status}>
      <div className="card-title">
        <h2>Model</h2>
        <span className={`status status-${status}`}>{statusText[status]}</span>
      </div>
      {name && <p className="model-name">{name}</p>}
      {format && <p className="muted">Format: {formatLabels[format] ?? format}</p>}
      <PartLine label="Encoder" part={encoder} />
      <PartLine label="Decoder" part={decoder} />
      {message && status !== 'ready' && <p className="model-message">{message}</p>}
      {note && <p className="model-note">{note}</p>}
    </section>
  );
}

function PartLine({ label, part }: { label: string; part: ModelPartCard | null }) {
  return (
    <div className="part-line" title={part?.signature}>
      <span className="part-label">{label}</span>
      {part ? (
        <>
          <span className="part-file">{part.fileName}</span>
          <span className="part-size">{formatBytes(part.sizeBytes)}</span>
        </>
      ) : (
        <span className="muted">—</span>
      )}
    </div>
  );
}
