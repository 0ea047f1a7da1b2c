import { biasCorrectionOf, defaultFastBits, perWidthCalibrationBits, usesLog2PostSoftmax, weightRoundingOf, type AnalysisSettings } from '../../core/analysis/settings';
import { GuideLink } from '../guide/GuideLink';
import { NumberField } from '../NumberField';
import { perWidthPatch, softmaxQuantizerPatch } from './settingsPatches';

const widthChoices = [2, 3, 4, 5, 6, 7, 8];

/**
 * Analysis settings: images T, prompts per image, exact/fast sensitivity, which units are probed (all, or
 * the decoder's only), the candidate widths, how softmax·v inputs are quantized, how weights are rounded and
 * whether calibration picks ranges and log2 τ per width. The last three change the quantized model itself:
 * preview, Evaluate and Export quantize as the analysis calibrated.
 */
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
  const perWidthBits = perWidthCalibrationBits(settings);
  const perWidthLabel = `${perWidthBits[0]} to ${perWidthBits[perWidthBits.length - 1]}`;
  return (
    <fieldset className="analysis-settings" disabled={disabled}>
      <label>
        Images (T)
        <NumberField
          label="Images to analyse"
          integer
          min={1}
          max={Math.max(1, imagesAvailable)}
          // T larger than the images at hand analyses all of them: show what will really run.
          value={imagesAvailable > 0 ? Math.min(settings.imageCount, imagesAvailable) : settings.imageCount}
          onCommit={(imageCount) => onChange({ imageCount })}
          suffix={<span className="muted">of {imagesAvailable}</span>}
        />
      </label>
      <label>
        Prompts per image
        <NumberField label="Prompts per image" integer min={1} max={16} value={settings.promptsPerImage} onCommit={(promptsPerImage) => onChange({ promptsPerImage })} />
      </label>
      <label>
        <span className="analysis-term">
          Sensitivity <GuideLink section="sensitivity" term="sensitivity σ" />
        </span>
        <select
          value={settings.sensitivityMode}
          aria-label="Sensitivity mode"
          title={`σ(b): how much the masks change when only one unit is quantized to b bits. Exact measures it at every width; fast measures ${settings.fastProbeBits.join(' and ')} bits and estimates the others, assuming the error falls 4× per extra bit (σ ∝ 4^−b)`}
          onChange={(event) => onChange({ sensitivityMode: event.target.value === 'fast' ? 'fast' : 'exact' })}
        >
          <option value="exact">exact (every width)</option>
          <option value="fast">fast (measure {settings.fastProbeBits.join(' & ')} bits, estimate the rest)</option>
        </select>
      </label>
      <label>
        Units
        <select
          value={settings.scope ?? 'all'}
          aria-label="Units to probe"
          title="decoder only: the encoder stays at full precision and is never probed (it runs only to calibrate and for the reference), the cheap analysis for large encoders"
          onChange={(event) => onChange({ scope: event.target.value === 'decoder' ? 'decoder' : 'all' })}
        >
          <option value="all">all (encoder + decoder)</option>
          <option value="decoder">decoder only</option>
        </select>
      </label>
      <label>
        Softmax·v quantizer
        <select
          value={usesLog2PostSoftmax(settings) ? 'log2' : 'uniform'}
          aria-label="Softmax·v quantizer"
          title="How the post-softmax attention probabilities are quantized before they multiply V"
          onChange={(event) => onChange(softmaxQuantizerPatch(event.target.value === 'log2' ? 'log2' : 'uniform'))}
        >
          <option value="log2">log2 (PTQ4SAM)</option>
          <option value="uniform">uniform</option>
        </select>
      </label>
      <label>
        Weight rounding
        <select
          value={weightRoundingOf(settings)}
          aria-label="Weight rounding"
          title="How weights are rounded onto their grids in the preview, Evaluate and Export. GPTQ rounds each layer's weights one input at a time and pushes each rounding error onto the weights not yet rounded, using the layer's inputs on the calibration images: a few seconds to minutes before the first preview, no cost in the downloaded file. It cuts the weights' own error several-fold, but at 4 bits and below activations dominate (quality study: mixed 4-bit +0.5 points of mIoU, uniform 3-bit −6.5). σ is measured with nearest rounding either way."
          onChange={(event) => onChange({ weightRounding: event.target.value === 'gptq' ? 'gptq' : 'nearest' })}
        >
          <option value="nearest">nearest</option>
          <option value="gptq">GPTQ (error-compensated)</option>
        </select>
      </label>
      <label
        className="analysis-check"
        title="Correct each quantized layer's bias for the mean shift that quantizing its weights and input puts on its output (input means from the calibration images, FP and at each width): a few seconds before the first preview; the corrected biases are written into the downloaded file, nothing added. On by default: in the quality study it lifts mixed 3-bit models from 66 to 83 % of full precision and uniform 4-bit from 88 to 91 %, and changes 6-bit models by less than 0.1 point. σ is measured without it."
      >
        <input type="checkbox" checked={biasCorrectionOf(settings)} aria-label="Bias correction" onChange={(event) => onChange({ biasCorrection: event.target.checked })} />
        Bias correction
        <GuideLink section="calibration" term="bias correction" />
      </label>
      <label className="analysis-check" title={`Choose the activation ranges and the log2 quantizer's τ anew at each width from ${perWidthLabel} bits (the quality study's setting); off: one range and τ serve every width`}>
        <input
          type="checkbox"
          checked={!!settings.perWidthRanges && !!settings.perWidthLog2Tau}
          aria-label="Calibrate per width"
          onChange={(event) => onChange(perWidthPatch(event.target.checked))}
        />
        Calibrate per width <span className="muted">(ranges + log2 τ)</span>
        <GuideLink section="calibration" term="calibrate per width" />
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
