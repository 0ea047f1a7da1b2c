import { create } from 'zustand';
import type { GuideSectionId } from './guideText';

/** Whether the method guide is open, and at which section: page-only state, kept apart from the studio's. */
export const useGuide = create<{ section: GuideSectionId | null; open(section?: GuideSectionId): void; close(): void }>((set) => ({
  section: null,
  open: (section = 'overview') => set({ section }),
  close: () => set({ section: null }),
}));
