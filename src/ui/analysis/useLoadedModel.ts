import { useEffect, useState } from 'react';
import { useStudio } from '../../state/store';
import { followLoadedModel, type LoadedModel } from './loadedModel';
import { userModelDefaults } from './userModelDefaults';

/**
 * The loaded model as the analysis panel knows it (units, forward times measured here), and defaults sized
 * for a user's model. Subscribed before the studio starts (children's effects run before App's), so the
 * demo model's first timings are seen; defaults are applied within the store update that made the model
 * ready, before anything renders it.
 */
export function useLoadedModel(): LoadedModel | null {
  const [model, setModel] = useState<LoadedModel | null>(null);
  useEffect(() => {
    const applyDefaults = userModelDefaults(useStudio);
    return followLoadedModel(useStudio, (next) => {
      setModel(next);
      applyDefaults(next);
    });
  }, []);
  return model;
}
