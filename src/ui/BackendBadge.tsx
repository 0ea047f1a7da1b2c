import { useStudio } from '../state/store';

/** Which backend really runs, and why (e.g. "WASM · 2 threads — no hardware GPU adapter (SwiftShader fallback)"). */
export function BackendBadge() {
  const status = useStudio((state) => state.backendStatus);
  const starting = useStudio((state) => state.backendStarting);
  if (!status) {
    return (
      <span className="badge badge-pending" data-testid="backend-badge" data-backend="">
        {starting ? 'Starting engine…' : 'Engine not running'}
      </span>
    );
  }
  const [label, ...why] = status.description.split(' — ');
  return (
    <span className={`badge badge-${status.choice.backend}`} data-testid="backend-badge" data-backend={status.choice.backend} title={status.description}>
      <strong>{label}</strong>
      {why.length > 0 && <span className="badge-reason"> — {why.join(' — ')}</span>}
    </span>
  );
}
