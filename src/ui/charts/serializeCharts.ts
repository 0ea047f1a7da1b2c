import { REPORT_CHARTS, type ReportCharts } from '../../core/report';

/**
 * The live chart <svg> elements as strings for report.html (renderReportHtml). Charts draw with presentation
 * attributes and their own font, so a copy renders the same outside the page; what only the page uses
 * (focus, button roles, CSS classes) is dropped. Charts not on the page, or empty, are left out.
 */
export function serializeCharts(root: ParentNode = document): ReportCharts {
  const charts: ReportCharts = {};
  const serializer = new XMLSerializer();
  for (const name of REPORT_CHARTS) {
    const svg = root.querySelector<SVGSVGElement>(`svg[data-chart="${name}"]`);
    if (!svg || svg.childElementCount === 0) continue;
    const copy = svg.cloneNode(true) as SVGSVGElement;
    for (const attribute of ['class', 'style', 'data-stale', 'data-bits', 'data-points']) copy.removeAttribute(attribute);
    for (const element of copy.querySelectorAll('[tabindex], [role="button"], [cursor]')) {
      element.removeAttribute('tabindex');
      element.removeAttribute('role');
      element.removeAttribute('cursor');
    }
    charts[name] = serializer.serializeToString(copy);
  }
  return charts;
}
