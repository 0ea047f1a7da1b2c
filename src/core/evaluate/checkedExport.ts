/**
 * The studio's export as one sequence: write the files in the chosen profile, check them bit for bit
 * against the simulation under the reference options (verifySamExport.ts), then as deployed under the
 * runtime's own options (deployedCheck.ts). The caller owns scheduling: `queue` runs each session step
 * (a worker serializes onnxruntime-web runs), `step` reports progress and throws to cancel.
 */
import { ANALYSE_ALONE_ENCODER_BYTES } from '../analysis/analysisCost';
import type { PreparedSam } from '../analysis/analysisModel';
import { encodeModelBytes } from '../onnx/proto';
import { REFERENCE_SESSION_OPTIONS, type OrtModule, type SessionOptions } from '../onnx/ort';
import type { Allocation } from '../quant/config';
import type { ExportProfile } from '../quant/profiles';
import { checkDeployed, type DeployedCheck } from './deployedCheck';
import type { EvaluationItem } from './evaluationItems';
import { QuantizedSam, type SamParametric, type SamRunner } from './quantizedSam';
import { exportQuantizedSam, type ExportedSam } from './samExport';
import { verifySamExport, type SamVerification } from './verifySamExport';

/**
 * True when the encoder fits the WASM heap once: the check then holds one encoder session at a time (the
 * caller suspends its own sessions first), an encoder that ships unchanged is not run a second time, and
 * the encoder is not timed (that needs the FP encoder open beside the file).
 */
export function checksOneEncoderAtATime(fpEncoderBytes: number): boolean {
  return fpEncoderBytes >= ANALYSE_ALONE_ENCODER_BYTES;
}

/** Stages `step` is called with (done out of CHECKED_EXPORT_STAGES). */
export const CHECKED_EXPORT_STAGES = 5;

export interface CheckedExportArgs {
  ort: OrtModule;
  sam: PreparedSam;
  parametric: SamParametric;
  allocation: Allocation;
  fpFileBytes: { encoder: number; decoder: number };
  profile: ExportProfile;
  /** Image and prompts the files are checked on. */
  item: EvaluationItem;
  /** The runtime's options (execution provider): the deployed check runs under these alone. */
  sessionOptions: SessionOptions;
  /**
   * What the page's preview runs for this profile (profiledSam.ts), unqueued: the deployed files are
   * compared with it, and with the exact simulation. Default: the simulation (the exact profile's preview).
   */
  preview?: SamRunner;
  /** Runs one session step; `cleanup` steps (releasing sessions) must run even after a cancel. */
  queue: <T>(work: () => Promise<T>, cleanup?: boolean) => Promise<T>;
  /** Progress at each stage; throws to cancel. Awaited, so the caller may yield first. */
  step: (label: string, done: number) => Promise<void>;
}

export interface CheckedExport extends ExportedSam {
  verification: SamVerification;
  deployed: DeployedCheck;
}

export async function checkedExport(args: CheckedExportArgs): Promise<CheckedExport> {
  const { ort, sam, parametric, allocation, item, sessionOptions, queue, step } = args;
  await step('Writing the quantized encoder and decoder', 0);
  const exported = exportQuantizedSam(sam, parametric, allocation, args.fpFileBytes, { profile: args.profile });
  const files = { encoder: exported.encoder.bytes, decoder: exported.decoder.bytes };
  const oneEncoder = checksOneEncoderAtATime(args.fpFileBytes.encoder);
  await step('Opening the simulation for the check', 1);
  const reference = await queue(() => QuantizedSam.create(ort, sam, parametric, { ...REFERENCE_SESSION_OPTIONS, ...sessionOptions }));
  try {
    await step(`Running the exported files on ${item.prompts.length} prompts`, 2);
    const verification = await queue(() =>
      verifySamExport(reference, files, allocation, item, sessionOptions, { encoderUnchanged: exported.encoder.unchanged, suspendSimulation: oneEncoder }),
    );
    const timed = !oneEncoder;
    await step(timed ? 'As deployed: masks, then the encoder timed beside full precision' : 'As deployed: masks', 3);
    const deployed = await queue(() =>
      checkDeployed(args.preview ?? reference, files, allocation, item, {
        sessionOptions,
        simulation: reference,
        fpEncoder: timed ? encodeModelBytes(sam.encoder) : undefined,
        between: () => step('As deployed: masks, then the encoder timed beside full precision', 3),
        suspendRunners: oneEncoder,
      }),
    );
    await step('Done', 4);
    return { ...exported, verification, deployed };
  } finally {
    await queue(() => reference.release(), true);
  }
}
