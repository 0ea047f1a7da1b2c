import { useGuide } from './guideStore';
import { guideSection, type GuideSectionId } from './guideText';

/** A small "?" beside a term: its one-line meaning as the tooltip, the guide's section on click. */
export function GuideLink({ section, term }: { section: GuideSectionId; term: string }) {
  const open = useGuide((state) => state.open);
  const { summary } = guideSection(section);
  return (
    <button type="button" className="guide-link" title={`${term}: ${summary} Click for the method guide.`} aria-label={`What is ${term}?`} onClick={() => open(section)}>
      ?
    </button>
  );
}
