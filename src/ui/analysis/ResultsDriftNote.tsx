import type { ResultsDrift } from '../../state/analysisSlice';

/** The settings of a run in a few words: "T = 2, 4 prompts, fast (σ at 2, 6)". */
function settingsInWords(settings: ResultsDrift['inputs']['settings']): string {
  const mode = settings.sensitivityMode === 'fast' ? `fast (σ at ${settings.fastProbeBits.join(', ')})` : 'exact';
  const rounding = settings.weightRounding === 'gptq' ? ', GPTQ rounding' : '';
  const corrected = settings.biasCorrection === true ? ', bias corrected' : '';
  return `T = ${settings.imageCount}, ${settings.promptsPerImage} prompt${settings.promptsPerImage === 1 ? '' : 's'}, ${mode}${rounding}${corrected}`;
}

/**
 * Says that the results shown were computed from other settings or images than the panel has now, and from
 * which: they stay (budget and preview keep working) until a new analysis completes.
 */
export function ResultsDriftNote({ drift, running }: { drift: ResultsDrift; running: boolean }) {
  const changed = drift.settingsChanged && drift.imagesChanged ? 'settings and images' : drift.settingsChanged ? 'settings' : 'images';
  const names = drift.inputs.imageNames;
  const shownNames = names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
  return (
    <p className="analysis-drift-note" data-testid="analysis-drift-note" data-settings-changed={drift.settingsChanged} data-images-changed={drift.imagesChanged}>
      Shown: the analysis of {shownNames} with {settingsInWords(drift.inputs.settings)}. The {changed} changed since;{' '}
      {running ? 'these results stay until the new analysis completes.' : 'Analyze measures the current ones, and these results stay until it completes.'}
    </p>
  );
}
