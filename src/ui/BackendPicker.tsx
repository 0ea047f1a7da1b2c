import type { BackendRequest } from '../core/sam/backendChoice';
import { useStudio } from '../state/store';

const threadOptions = [1, 2, 4, 8];

/** Auto / WebGPU / WASM and the WASM thread count; a change restarts the engine and reloads the model. */
export function BackendPicker() {
  const settings = useStudio((state) => state.backendSettings);
  const changeBackend = useStudio((state) => state.changeBackend);
  const busy = useStudio((state) => state.backendStarting || state.modelStatus === 'loading');
  const cores = navigator.hardwareConcurrency || 1;
  return (
    <div className="backend-picker">
      <label>
        Backend{' '}
        <select
          aria-label="Backend"
          value={settings.request}
          disabled={busy}
          onChange={(event) => void changeBackend({ ...settings, request: event.target.value as BackendRequest })}
        >
          <option value="auto">Auto</option>
          <option value="webgpu">WebGPU</option>
          <option value="wasm">WASM</option>
        </select>
      </label>
      <label>
        Threads{' '}
        <select
          aria-label="Threads"
          value={settings.threads ?? 'auto'}
          disabled={busy}
          onChange={(event) => void changeBackend({ ...settings, threads: event.target.value === 'auto' ? null : Number(event.target.value) })}
        >
          <option value="auto">Auto</option>
          {threadOptions.filter((count) => count <= Math.max(cores, 2)).map((count) => (
            <option key={count} value={count}>
              {count}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
