import { defaultFastBits, type AnalysisSettings } from '../../core/analysis/settings';

const widthChoices = [2, 3, 4, 5, 6, 7, 8];

/** Analysis settings: images T, prompts per image, exact/fast sensitivity and the candidate widths. */
export function AnalysisSettingsForm({
  settings,
  imagesAvailable,
  disabled,
  onChange,
}: {
  settings: AnalysisSettings;
  imagesAvailable: number;
  disabled: boolean;
  onChange: (patch: Partial<AnalysisSettings>) => void;
}) {
  const toggleWidth = (bits: number) => {
    const next = settings.candidateBits.includes(bits) ? settings.candidateBits.filter((b) => b !== bits) : [...settings.candidateBits, bits];
    if (next.length === 0) return;
    const sorted = next.sort((a, b) => a - b);
    onChange({ candidateBits: sorted, fastProbeBits: defaultFastBits(sorted) });
  };
  return (
    <fieldset className="analysis-settings" disabled={disabled}>
      <label>
        Images (T)
        <input
          type="number"
          min={1}
          max={Math.max(1, imagesAvailable)}
          // T larger than the images at hand analyses all of them: show what will really run.
          value={imagesAvailable > 0 ? Math.min(settings.imageCount, imagesAvailable) : settings.imageCount}
          aria-label="Images to analyse"
          onChange={(event) => onChange({ imageCount: Math.max(1, Math.floor(Number(event.target.value)) || 1) })}
        />
        <span className="muted">of {imagesAvailable}</span>
      </label>
      <label>
        Prompts per image
        <input
          type="number"
          min={1}
          max={16}
          value={settings.promptsPerImage}
          aria-label="Prompts per image"
          onChange={(event) => onChange({ promptsPerImage: Math.min(16, Math.max(1, Math.floor(Number(event.target.value)) || 1)) })}
        />
      </label>
      <label>
        Sensitivity
        <select
          value={settings.sensitivityMode}
          aria-label="Sensitivity mode"
          onChange={(event) => onChange({ sensitivityMode: event.target.value === 'fast' ? 'fast' : 'exact' })}
        >
          <option value="exact">exact (every width)</option>
          <option value="fast">fast ({settings.fastProbeBits.join(' & ')} bits, 4^−b between)</option>
        </select>
      </label>
      <div className="analysis-widths" role="group" aria-label="Candidate widths">
        <span>Widths</span>
        {widthChoices.map((bits) => (
          <label key={bits} className="analysis-width">
            <input type="checkbox" checked={settings.candidateBits.includes(bits)} onChange={() => toggleWidth(bits)} />
            {bits}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
