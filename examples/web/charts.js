// Helpers shared by the pages (namespace DG): the page's data, elements, number formatting, value grids (tensor
// previews), SVG line charts and heat-map colours. No library, no network.
'use strict';
const DG = (() => {
  const SVG_NS = 'http://www.w3.org/2000/svg';

  /// The JSON the C++ side wrote into <script id="page-data">.
  function data() { return JSON.parse(document.getElementById('page-data').textContent); }

  function build(node, attrs, children) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
    return node;
  }
  /// An HTML element: el('p', {class: 'muted'}, 'text', child, ...).
  function el(tag, attrs, ...children) { return build(document.createElement(tag), attrs, children); }
  /// An SVG element.
  function svg(tag, attrs, ...children) { return build(document.createElementNS(SVG_NS, tag), attrs, children); }

  /// A number as the pages show it: 4 significant digits ("0.1235", "-1.234e-05" as "-1.234e-5").
  function fmt(v, digits = 4) {
    if (v === null || v === undefined) return '—';
    if (!Number.isFinite(v)) return String(v);
    if (v === 0) return '0';
    const a = Math.abs(v);
    return a >= 1e-3 && a < 1e5 ? String(Number(v.toPrecision(digits))) : v.toExponential(digits - 1);
  }

  /// A preview {shape, rows, more_rows, more_cols, norm} as a small table of numbers with "⋯" where cut.
  function grid(p, label) {
    const table = el('table', { class: 'grid', 'aria-label': label || 'values' });
    p.rows.forEach((row, r) => {
      const tr = el('tr', {});
      row.forEach((v, c) => tr.append(el('td', { 'data-r': r, 'data-c': c, text: fmt(v) })));
      if (p.more_cols) tr.append(el('td', { class: 'more', text: `⋯ ${p.more_cols}` }));
      table.append(tr);
    });
    if (p.more_rows) table.append(el('tr', {}, el('td', { class: 'more', colspan: (p.rows[0] || []).length || 1,
      text: `⋮ ${p.more_rows} more rows` })));
    return table;
  }

  /// "[5, 8]"
  function shape(s) { return '[' + s.join(', ') + ']'; }

  const palette = ['#1f5fa8', '#a34f00', '#1d6b2f', '#8a2be2', '#b00020', '#00707a', '#6b4f00', '#c2185b'];

  /// A line chart {title, x, y, series: [{name, points: [[x, y]...]}], log} as an SVG figure that scales to its box.
  function lineChart(spec) {
    const W = 560, H = 300, L = 76, R = 14, T = 30, B = 44;
    const pts = spec.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p[1]) && (!spec.log || p[1] > 0));
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => (spec.log ? Math.log10(p[1]) : p[1]));
    let x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
    if (!pts.length) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
    if (x1 === x0) { x0 -= 1; x1 += 1; }
    if (y1 === y0) { const d = Math.abs(y0) * 0.1 || 1; y0 -= d; y1 += d; }
    const pad = (y1 - y0) * 0.06;
    y0 = !spec.log && y0 >= 0 ? Math.max(0, y0 - pad) : y0 - pad;  // a quantity that cannot be negative stays above 0
    y1 += pad;
    const sx = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
    const sy = (y) => H - B - ((y - y0) / (y1 - y0)) * (H - T - B);
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': spec.title, width: W, height: H });
    root.append(svg('text', { x: W / 2, y: 18, 'text-anchor': 'middle', 'font-weight': 600, 'font-size': 14, text: spec.title }));
    root.append(svg('rect', { x: L, y: T, width: W - L - R, height: H - T - B, fill: 'none', stroke: '#c8c8c8' }));
    for (let i = 0; i <= 4; ++i) {
      const y = y0 + ((y1 - y0) * i) / 4;
      root.append(svg('line', { x1: L, x2: W - R, y1: sy(y), y2: sy(y), stroke: '#e2e2e2' }));
      root.append(svg('text', { x: L - 6, y: sy(y) + 4, 'text-anchor': 'end', 'font-size': 11,
        text: fmt(spec.log ? 10 ** y : y, 3) }));
    }
    const xt = [...new Set(xs)].sort((a, b) => a - b);
    const every = Math.max(1, Math.ceil(xt.length / 10));
    xt.forEach((x, i) => {
      if (i % every) return;
      root.append(svg('text', { x: sx(x), y: H - B + 16, 'text-anchor': 'middle', 'font-size': 11, text: String(x) }));
    });
    root.append(svg('text', { x: (L + W - R) / 2, y: H - 8, 'text-anchor': 'middle', 'font-size': 12, text: spec.x }));
    root.append(svg('text', { x: 14, y: (T + H - B) / 2, 'text-anchor': 'middle', 'font-size': 12,
      transform: `rotate(-90 14 ${(T + H - B) / 2})`, text: spec.y + (spec.log ? ' (log)' : '') }));
    const legend = el('div', { class: 'legend' });
    spec.series.forEach((s, i) => {
      const color = s.color || palette[i % palette.length];
      const ok = s.points.filter((p) => Number.isFinite(p[1]) && (!spec.log || p[1] > 0));
      const d = ok.map((p, k) => `${k ? 'L' : 'M'}${sx(p[0]).toFixed(1)},${sy(spec.log ? Math.log10(p[1]) : p[1]).toFixed(1)}`).join('');
      root.append(svg('path', { d, fill: 'none', stroke: color, 'stroke-width': 2.2, 'stroke-dasharray': s.dash }));
      for (const p of ok)
        root.append(svg('circle', { cx: sx(p[0]), cy: sy(spec.log ? Math.log10(p[1]) : p[1]), r: 3, fill: color },
          svg('title', { text: `${s.name}, ${spec.x} ${p[0]}: ${fmt(p[1])}` })));
      legend.append(el('span', {}, el('span', { class: 'swatch', style: `background:${color}` }), s.name));
    });
    return el('figure', { class: 'chart' }, root, legend);
  }

  /// WCAG's relative luminance of an sRGB colour [r, g, b] in 0..255.
  function luminance(c) {
    const lin = c.map((v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  }
  /// White → dark blue for t in [0, 1]; with the text colour (black or white) of the higher contrast on it.
  function heat(t) {
    t = Math.max(0, Math.min(1, t));
    const c = [255 + (16 - 255) * t, 255 + (63 - 255) * t, 255 + (122 - 255) * t].map(Math.round);
    const L = luminance(c), dark = 0;  // black: with white, at least 4.58:1 on every shade
    return { background: `rgb(${c.join(',')})`, color: (1.05) / (L + 0.05) > (L + 0.05) / (dark + 0.05) ? '#ffffff' : '#000000' };
  }

  return { data, el, svg, fmt, grid, shape, lineChart, heat, palette };
})();
