/**
 * What the page and the quantization worker (quant.worker.ts) send each other: requests and answers of its API.
 */
import type { AnalysisImage } from '../core/analysis/analysisEngine';
import type { AnalysisScope, WeightRounding } from '../core/analysis/settings';
import type { CalibrationSettings } from '../core/evaluate/calibrationOptions';
import type { DeployedCheck } from '../core/evaluate/deployedCheck';
import type { EvaluationSource } from '../core/evaluate/evaluationItems';
import type { ExportedPart } from '../core/evaluate/samExport';
import type { SamVerification } from '../core/evaluate/verifySamExport';
import type { RgbaImage } from '../core/image/rgbaImage';
import type { Allocation } from '../core/quant/config';
import type { ExportProfile } from '../core/quant/profiles';
import type { BackendChoice } from '../core/sam/backendChoice';
import type { TruthObject } from '../core/sam/promptedObject';
import type { SamModelConfig } from '../core/sam/samAdapter';
import type { Prompts } from '../core/sam/types';

export interface QuantBackend {
  choice: BackendChoice;
  description: string;
}

export interface QuantModelRequest {
  encoder: ArrayBuffer;
  decoder: ArrayBuffer;
  config: SamModelConfig;
}

export interface QuantPrepareRequest {
  /** The model the analysis measured (its results' modelHash): it must be the model this worker holds. */
  modelHash: string;
  /** The analysis run whose stored calibration (ranges, log2 τ) is reused; null calibrates afresh. */
  runKey: string | null;
  /** Calibration images, used when nothing is stored. */
  images: AnalysisImage[];
  promptsPerImage: number;
  gridSize: number;
  /** The analysis' calibration choices (per width, post-softmax quantizer), honoured when calibrating afresh. */
  calibration: CalibrationSettings;
  /** Widths the sessions must be able to select (candidates, uniform baselines, the allocation's). */
  weightBits: number[];
  /** How weights are rounded (GPTQ first measures Hessians on `images` and rounds every width). */
  weightRounding: WeightRounding;
  /** Whether biases are corrected for each width's mean output shift (input means measured on `images`). */
  biasCorrection: boolean;
  /** The analysis' scope: a decoder-only analysis keeps the encoder as the original model (no parametric encoder). */
  scope: AnalysisScope;
}

export interface QuantPrepared {
  /** Where the activation ranges came from. */
  calibration: 'analysis' | 'calibrated';
  weightBits: number[];
  elapsedMs: number;
}

export interface QuantPreviewRequest {
  imageId: string;
  /** Pixels, sent once per image (the worker keeps them). */
  image: RgbaImage | null;
  prompts: Prompts;
  allocation: Allocation;
  truth: TruthObject[] | null;
  /** The export profile whose file the quantized mask comes from (exact: the simulation). */
  profile: ExportProfile;
}

export interface QuantExportRequest {
  /** The page's id of this export, for cancel. */
  job: string;
  allocation: Allocation;
  /** Image and prompts the exported files are checked on. */
  check: EvaluationSource;
  promptsPerImage: number;
  gridSize: number;
  profile: ExportProfile;
}

export interface QuantExportResult {
  encoder: ExportedPart;
  decoder: ExportedPart;
  /** Under the reference options: equal to the simulation for `exact`, how far the kernels moved it otherwise. */
  verification: SamVerification;
  /** Under the page's own session options, as the file is deployed. */
  deployed: DeployedCheck;
  backend: string;
  elapsedMs: number;
}
