import { PROMPT_AGREEMENT, type DeployedCheck } from '../../core/evaluate/deployedCheck';
import { formatMs } from '../format';
import type { ExportProfile } from '../../core/quant/profiles';

/** Per prompt: one bar, as tall as the file's mask overlaps the preview's; red below PROMPT_AGREEMENT. */
function PromptBars({ iouByPrompt }: { iouByPrompt: readonly number[] }) {
  return (
    <div className="prompt-bars" data-testid="deployed-prompts" aria-label="Mask IoU with the preview, per prompt">
      {iouByPrompt.map((iou, i) => (
        <span
          key={i}
          className={iou < PROMPT_AGREEMENT ? 'prompt-bar low' : 'prompt-bar'}
          style={{ height: `${Math.max(2, Math.round(iou * 24))}px` }}
          data-iou={iou}
          title={`Prompt ${i + 1}: IoU ${iou.toFixed(3)} with the preview’s mask`}
        />
      ))}
    </div>
  );
}

/**
 * The downloaded files as deployed (the page's backend, the runtime's own session options): how far each
 * prompt's mask is from the preview's, quality against full precision (and the true objects) beside the
 * preview's, and the encoder's time beside full precision.
 */
export function DeployedCheckView({
  deployed,
  backend,
  headline,
  profile,
  checkImage,
}: {
  deployed: DeployedCheck;
  backend: string;
  headline: boolean;
  profile: ExportProfile;
  /** The one image the files were checked on (Evaluate's figures cover every evaluated image). */
  checkImage: string;
}) {
  const prompts = deployed.iouByPrompt.length;
  const close = deployed.below === 0;
  const latency = deployed.latency;
  const truth = deployed.miouTruth;
  return (
    <div className="deployed-check" data-testid="deployed-check" data-miou={deployed.miou} data-below={deployed.below} data-miou-fp-file={deployed.miouFp.file} data-miou-fp-preview={deployed.miouFp.preview} data-latency-ratio={latency?.ratio ?? ''} data-vs-simulation={deployed.vsSimulation?.miou ?? ''}>
      <p className={headline ? (close ? 'verified' : 'not-verified') : 'quant-note'}>
        {headline ? (close ? 'Close to the preview' : 'Differs from the preview') : 'As deployed'}: masks vs the preview’s mIoU {deployed.miou.toFixed(3)} on {prompts}{' '}
        {prompts === 1 ? 'prompt' : 'prompts'} of {checkImage}, {deployed.below} below {PROMPT_AGREEMENT} (worst {deployed.worst.toFixed(3)})
      </p>
      <PromptBars iouByPrompt={deployed.iouByPrompt} />
      <p className="muted quant-note">
        Run as deployed: {backend}, onnxruntime’s default session options; one image, so these figures are not Evaluate’s (every evaluated image). vs full
        precision: file {deployed.miouFp.file.toFixed(3)}, preview{' '}
        {deployed.miouFp.preview.toFixed(3)}
        {truth && `; vs the true objects (${truth.prompts} prompts): file ${truth.file.toFixed(3)}, preview ${truth.preview.toFixed(3)}, full precision ${truth.fp.toFixed(3)}`}.
      </p>
      {deployed.vsSimulation && (
        <p className="muted quant-note" data-testid="deployed-vs-simulation" data-miou={deployed.vsSimulation.miou}>
          The preview ran this file. Against the exact simulation (the quantization the analysis measured): mIoU {deployed.vsSimulation.miou.toFixed(3)},{' '}
          {deployed.vsSimulation.below} of {prompts} below {PROMPT_AGREEMENT} — {profile === 'fast-webgpu' ? 'its activations run in float' : 'its integer kernels read 4-bit activations on 8-bit grids'}.
        </p>
      )}
      {profile === 'fast-webgpu' && !backend.startsWith('WebGPU') && (
        <p className="muted quant-note" data-testid="deployed-backend-note">
          This page runs on {backend.split(' ')[0]}, not WebGPU: the WebGPU file was checked and timed on it. Choose WebGPU in the backend menu to check it where it is meant to run.
        </p>
      )}
      <p className="quant-note" data-testid="deployed-latency">
        {latency
          ? `Encoder ×${latency.ratio.toFixed(2)} the full-precision time on this page’s backend (median ratio of ${latency.rounds} alternating rounds; medians ${formatMs(latency.fileMs)} vs ${formatMs(latency.fpMs)}).`
          : 'Encoder not timed: the model is too large to hold the full-precision encoder beside the file in this tab; time it with npm run bench:export.'}
      </p>
    </div>
  );
}
