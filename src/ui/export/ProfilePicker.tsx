import { EXPORT_PROFILE_INFO, exportProfileInfo, type ExportProfile } from '../../core/quant/profiles';
import { useStudio } from '../../state/store';

/** Which kind of file the export writes (quant/profiles.ts), with what it is for. */
export function ProfilePicker({ disabled }: { disabled: boolean }) {
  const profile = useStudio((state) => state.exportProfile);
  const setProfile = useStudio((state) => state.setExportProfile);
  return (
    <div className="export-profile">
      <label>
        Profile{' '}
        <select value={profile} disabled={disabled} onChange={(event) => setProfile(event.target.value as ExportProfile)} data-testid="export-profile">
          {EXPORT_PROFILE_INFO.map((info) => (
            <option key={info.id} value={info.id}>
              {info.label}
            </option>
          ))}
        </select>
      </label>
      <p className="muted quant-note" data-testid="export-profile-purpose">
        {exportProfileInfo(profile).purpose}
      </p>
    </div>
  );
}
