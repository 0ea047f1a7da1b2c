/**
 * The export profiles: what each downloaded file is for, and the session options it is checked under.
 * The Export card, the report and `npm run export` read this table, so a new profile is one entry here
 * and its writer in the export pass.
 */

export type ExportProfile = 'exact' | 'fast-cpu' | 'fast-webgpu';

export interface ExportProfileInfo {
  id: ExportProfile;
  /** Short name for the picker. */
  label: string;
  /** One sentence: what the file is for and what it trades. */
  purpose: string;
  /** True when the file equals the simulation bit for bit under the reference session options. */
  exact: boolean;
}

export const EXPORT_PROFILE_INFO: readonly ExportProfileInfo[] = [
  {
    id: 'exact',
    label: 'exact (verification)',
    purpose: 'Equals the preview bit for bit: float Q/DQ, every width on its own grid. To check the simulation, not to ship for speed.',
    exact: true,
  },
  {
    id: 'fast-cpu',
    label: 'fast (CPU / WASM)',
    purpose: 'Integer kernels of onnxruntime’s CPU and WASM backends (MatMulNBits, MatMulIntegerToFloat), weights kept in float stored as FP16: smaller and faster. 4-bit activations run on 8-bit grids, so the file is not the simulation: with this profile chosen, the preview and Evaluate run the file itself.',
    exact: false,
  },
  {
    id: 'fast-webgpu',
    label: 'fast (WebGPU)',
    purpose: 'Weights only, as the 4- and 8-bit MatMulNBits onnxruntime-web’s WebGPU backend runs, activations in float, weights kept in float stored as FP16: smaller; with this profile chosen, the preview and Evaluate run the file itself.',
    exact: false,
  },
];

export const EXPORT_PROFILES: readonly ExportProfile[] = EXPORT_PROFILE_INFO.map((info) => info.id);

/** The profiles as a sentence lists them: "exact, fast-cpu or fast-webgpu". */
export const EXPORT_PROFILE_CHOICES = `${EXPORT_PROFILES.slice(0, -1).join(', ')} or ${EXPORT_PROFILES.at(-1)}`;

export function exportProfileInfo(profile: ExportProfile): ExportProfileInfo {
  const info = EXPORT_PROFILE_INFO.find((entry) => entry.id === profile);
  if (!info) throw new Error(`Unknown export profile "${String(profile)}": choose ${EXPORT_PROFILE_CHOICES}.`);
  return info;
}
