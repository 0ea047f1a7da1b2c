import { EXPORT_PROFILE_INFO, exportProfileInfo, type ExportProfile } from '../../core/quant/profiles';
import { useStudio } from '../../state/store';

/**
 * Which kind of file the export writes (quant/profiles.ts), with what it is for. One choice for the
 * whole studio: the preview and Evaluate run the quantized model as this profile's file runs.
 * `compact` is the one-line form the preview card shows.
 */
export function ProfilePicker({ disabled, compact = false }: { disabled: boolean; compact?: boolean }) {
  const profile = useStudio((state) => state.exportProfile);
  const setProfile = useStudio((state) => state.setExportProfile);
  return (
    <div className={compact ? 'export-profile export-profile-compact' : 'export-profile'}>
      <label title={compact ? exportProfileInfo(profile).purpose : undefined}>
        {compact ? 'Runs as' : 'Profile'}{' '}
        <select
          value={profile}
          disabled={disabled}
          onChange={(event) => setProfile(event.target.value as ExportProfile)}
          data-testid={compact ? 'preview-profile' : 'export-profile'}
          aria-label={compact ? 'Profile the preview runs as' : 'Export profile'}
        >
          {EXPORT_PROFILE_INFO.map((info) => (
            <option key={info.id} value={info.id}>
              {compact ? (info.exact ? 'simulation (exact file)' : `${info.label} file`) : info.label}
            </option>
          ))}
        </select>
      </label>
      {!compact && (
        <p className="muted quant-note" data-testid="export-profile-purpose">
          {exportProfileInfo(profile).purpose}
        </p>
      )}
    </div>
  );
}
