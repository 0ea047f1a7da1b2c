/** The report page's stylesheet, inlined into report.html (system fonts only: nothing is fetched). */
export const REPORT_CSS = `
:root { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; font-size: 14px; color: #1d2330; background: #eef0f4; }
body { margin: 0; }
header { padding: 16px 24px; background: #fff; border-bottom: 1px solid #d9dde5; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: 0.04em; color: #344054; margin: 0 0 10px; }
h3 { font-size: 13px; margin: 14px 0 6px; }
main { padding: 16px 24px; display: flex; flex-direction: column; gap: 16px; max-width: 1200px; }
section { background: #fff; border: 1px solid #d9dde5; border-radius: 10px; padding: 14px; }
section.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; background: none; border: 0; padding: 0; }
.panel { background: #fff; border: 1px solid #d9dde5; border-radius: 10px; padding: 14px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; }
dt { color: #667085; }
dd { margin: 0; }
.muted { color: #667085; font-size: 12.5px; }
.warn { color: #b25e09; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12.5px; border: 1px solid #d9dde5; }
.badge-ok { background: #ecfdf3; color: #1a7f4b; border-color: #a6f4c5; }
.badge-warn { background: #fffaeb; color: #b25e09; border-color: #fedf89; }
.badge-error { background: #fef3f2; color: #b42318; border-color: #fecdca; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
figure.chart { margin: 0; }
figure.chart figcaption { font-weight: 600; font-size: 12.5px; color: #344054; margin-bottom: 4px; }
figure.chart svg { max-width: 100%; height: auto; overflow: visible; }
table { border-collapse: collapse; font-size: 12px; }
th, td { padding: 2px 6px; border-bottom: 1px solid #e4e7ec; text-align: right; font-variant-numeric: tabular-nums; }
th { color: #344054; background: #f8f9fb; position: sticky; top: 0; }
td:nth-child(2), th:nth-child(2) { text-align: left; }
table.units td:nth-child(2) { max-width: 280px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.scroll { max-height: 520px; overflow: auto; }
code { font-size: 12px; }
@media print { .scroll { max-height: none; } body { background: #fff; } }
`;
