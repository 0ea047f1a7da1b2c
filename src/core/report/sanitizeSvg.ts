/**
 * Makes an SVG string safe to inline in a report that must open offline and reach nothing outside itself:
 * no scripts, no event handlers, no foreign content, no links or url() other than to its own #ids, and no
 * xmlns declarations (inline SVG in HTML needs none, and they would read as addresses).
 */

const REMOVED_ELEMENTS = ['script', 'foreignObject', 'iframe', 'object', 'embed', 'image', 'use', 'a'];

export function sanitizeSvg(svg: string, name = 'chart'): string {
  let text = svg.trim().replace(/^<\?xml[^>]*>\s*/i, '');
  if (!/^<svg[\s>]/i.test(text) || !/<\/svg>\s*$/i.test(text)) {
    throw new Error(`The ${name} chart is not an <svg> element.`);
  }
  for (const element of REMOVED_ELEMENTS) {
    text = text.replace(new RegExp(`<${element}\\b[\\s\\S]*?</${element}\\s*>`, 'gi'), '');
    text = text.replace(new RegExp(`<${element}\\b[^>]*/>`, 'gi'), '');
  }
  // Event handlers (onclick=…), namespace declarations and any link that is not to a local #id.
  text = text.replace(/\s+on[a-z]+\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, '');
  text = text.replace(/\s+xmlns(:[a-z]+)?\s*=\s*("[^"]*"|'[^']*')/gi, '');
  text = text.replace(/\s+(xlink:)?href\s*=\s*("(?!#)[^"]*"|'(?!#)[^']*')/gi, '');
  text = text.replace(/url\(\s*(?!['"]?#)[^)]*\)/gi, 'none');
  return text;
}
