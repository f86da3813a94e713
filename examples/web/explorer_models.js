// The explorer's model parts (DG.explorer): the network drawing of each kind of spec bpcheck takes (an MLP's units, a
// CNN's layer boxes with their map shapes, a recurrent net's cell unrolled over the steps), which layer a node of the
// graph belongs to, and the boundary notes, drawn from the blocks examples/common/explorer_parts.hpp describes.
'use strict';
DG.explorer = (() => {
  const { el, svg, fmt, grid } = DG;
  const INK = '#1a1a1a', MARK = '#a34f00';

  // Highlights the shapes of the drawing that belong to `layer` (and time step `t`, when given and drawn).
  function highlight(root, layer, t) {
    root.querySelectorAll('[data-layer]').forEach((shape) => {
      const on = Number(shape.dataset.layer) === layer && (t === undefined || shape.dataset.t === undefined || Number(shape.dataset.t) === t);
      shape.setAttribute('stroke', on ? MARK : INK);
      shape.setAttribute('stroke-width', on ? 3 : 1);
    });
  }
  const arrow = (x1, y1, x2, y2) => svg('line', { x1, y1, x2, y2, stroke: '#6b6b6b', 'stroke-width': 1.3, 'marker-end': 'url(#net-arrow)' });
  const arrowHead = () => svg('defs', {}, svg('marker', { id: 'net-arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' },
    svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#6b6b6b' })));
  const text = (x, y, t, attrs) => svg('text', { x, y, 'text-anchor': 'middle', 'font-size': 12, text: t, ...attrs });
  // The module a node was made in: the first part of its label ("conv1" of "conv1.weight").
  const moduleOf = (node) => (node.label || '').split('.')[0];

  // ---- an MLP: its units, every layer's a column ----
  function mlp(net) {
    const layers = net.layers, W = 1100, H = 250, shown = 8;
    const colX = (l) => 80 + (l * (W - 160)) / Math.max(1, layers.length - 1);
    const unitY = (k, n) => 30 + ((k + 0.5) * 170) / n;
    const root = svg('svg', { id: 'network', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
      'aria-label': `the network ${net.spec}: ${layers.map((l) => l.size).join(', ')} units` });
    const count = (l) => Math.min(layers[l].size, shown);
    for (let l = 1; l < layers.length; ++l)
      for (let i = 0; i < count(l - 1); ++i)
        for (let j = 0; j < count(l); ++j)
          root.append(svg('line', { x1: colX(l - 1), y1: unitY(i, count(l - 1)), x2: colX(l), y2: unitY(j, count(l)),
            stroke: '#b5b5b5', 'stroke-width': 0.7 }));
    layers.forEach((layer, l) => {
      const g = svg('g', { class: 'layer' });
      for (let k = 0; k < count(l); ++k)
        g.append(svg('circle', { cx: colX(l), cy: unitY(k, count(l)), r: Math.min(9, 70 / count(l)), fill: l ? '#ffffff' : '#e3f1e5', stroke: INK, 'data-layer': l }));
      if (layer.size > shown) g.append(text(colX(l) + 34, 205, `⋮ ${layer.size - shown} more`));
      g.append(text(colX(l), 226, l ? `layer ${l}: ${layer.size}` : `input x: ${layer.size}`, { 'font-size': 13, 'font-weight': 600 }));
      if (l) g.append(text(colX(l), 244, layer.activation));
      root.append(g);
    });
    return {
      root,
      caption: 'Layer l computes z(l) = a(l−1) W(l)ᵀ + b(l) and a(l) = f(z(l)) for every sample (a row of the batch); the last layer\'s activation is the loss\'s own head.',
      layerOf: (node) => { const m = moduleOf(node).match(/^(?:fc|act)(\d+)$/); return m ? Number(m[1]) : -1; },
      none: 'No layer boundary at this node. The δ(l) of the notes is the gradient arriving at a pre-activation z(l); step to a linear node to see it.',
    };
  }

  // ---- a CNN: a box per layer with its output's shape (maps C×H×W drawn as a stack, features as a bar) ----
  function cnn(net, d) {
    const boxes = [{ layer: 0, kind: 'input', output: net.input, activation: '' }, ...net.layers];
    const W = 1100, H = 240, colW = (W - 40) / boxes.length;
    const maxHW = Math.max(...boxes.filter((b) => b.output.length === 3).map((b) => b.output[1]));
    const maxN = Math.max(1, ...boxes.filter((b) => b.output.length === 1).map((b) => b.output[0]));
    const root = svg('svg', { id: 'network', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
      'aria-label': `the network ${net.spec}: ${boxes.map((b) => b.output.join('×')).join(', ')}` }, arrowHead());
    const what = (b) => ({
      input: 'input x', conv: `conv ${b.kernel}×${b.kernel}${b.stride > 1 ? ` s${b.stride}` : ''}${b.padding ? ` p${b.padding}` : ''}${b.dilation > 1 ? ` d${b.dilation}` : ''}${b.groups > 1 ? ` g${b.groups}` : ''}`,
      max_pool: `max pool ${b.kernel}×${b.kernel}${b.stride !== b.kernel ? ` s${b.stride}` : ''}`, avg_pool: `avg pool ${b.kernel}×${b.kernel}${b.stride !== b.kernel ? ` s${b.stride}` : ''}`,
      batch_norm: 'batch norm', layer_norm: 'layer norm', flatten: 'flatten', dense: 'dense' }[b.kind]);
    const mid = 120;
    boxes.forEach((b, i) => {
      const cx = 20 + (i + 0.5) * colW;
      const g = svg('g', { class: 'layer' });
      g.append(text(cx, 26, b.layer ? `layer ${b.layer}` : '', { 'font-weight': 600 }), text(cx, 42, what(b)));
      let right;
      if (b.output.length === 3) {
        const side = Math.max(14, Math.min(70, 14 + (56 * b.output[1]) / maxHW));
        const stack = Math.min(b.output[0], 3);
        for (let k = stack - 1; k >= 0; --k)
          g.append(svg('rect', { x: cx - side / 2 + 5 * k - 5, y: mid - side / 2 - 5 * k + 5, width: side, height: side,
            fill: b.layer ? '#ffffff' : '#e3f1e5', stroke: INK, 'data-layer': b.layer }));
        right = cx + side / 2 + 5 * (stack - 1);
        g.append(text(cx, mid + 64, b.output.join('×')));
      } else {
        const h = Math.max(20, Math.min(90, (90 * b.output[0]) / maxN));
        g.append(svg('rect', { x: cx - 7, y: mid - h / 2, width: 14, height: h, fill: '#ffffff', stroke: INK, 'data-layer': b.layer }));
        right = cx + 7;
        g.append(text(cx, mid + 64, String(b.output[0])));
      }
      const last = i === boxes.length - 1;
      g.append(text(cx, mid + 80, last ? `${b.activation ? b.activation + ', ' : ''}loss ${(d.run || {}).loss}` : b.activation));
      root.append(g);
      if (!last) root.append(arrow(right + 4, mid, 20 + (i + 1.5) * colW - 42, mid));
    });
    const layerOf = (node) => { const m = moduleOf(node); const b = net.layers.find((l) => l.names.includes(m)); return b ? b.layer : -1; };
    return {
      root, layerOf,
      caption: 'Layer l computes z(l) from a(l−1) — a convolution, a pooling, flatten or a dense layer — and a(l) = f(z(l)) when an activation follows it. Shapes are per sample: C×H×W maps (up to 3 drawn), then n features after flatten; the last layer\'s activation is the loss\'s own head.',
      none: d.reference_gap ? `The conv delta reference leaves this network out (${d.reference_gap}), so the page has no δ(l) notes; the steps and the agreement table (autograd vs finite differences) are complete.`
        : 'No layer boundary at this node. δ(l) is the gradient arriving at z(l), a layer\'s output before its activation; step to a conv, pooling, flatten or linear node to see it.',
    };
  }

  // ---- a recurrent net: the cell unrolled over the T steps, a row per layer between the inputs and the head ----
  function recurrent(net) {
    const L = net.hidden.length, T = net.steps, every = net.loss_at === 'every';
    const W = 1100, left = 190, rowH = 56, H = (L + 2) * rowH + 30;
    const colW = (W - left - 20) / T, cw = Math.min(64, colW - 16), ch = 30;
    const cx = (t) => left + (t - 0.5) * colW;
    const cy = (row) => H - 30 - (row + 0.5) * rowH;  // row 0: the inputs, 1..L: the layers, L + 1: the head
    const root = svg('svg', { id: 'network', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
      'aria-label': `the network ${net.spec} unrolled over ${T} steps: ${L} ${net.cell} layer(s) of ${net.hidden.join(', ')}, a head of ${net.outputs}` }, arrowHead());
    const input = net.vocabulary ? `x_t: tokens → emb ${net.vocabulary}×${net.input}` : `x_t: ${net.input} inputs`;
    const labels = [input, ...net.hidden.map((h, k) => `layer ${k + 1}: ${net.cell}, ${h}`), `head: ${net.outputs} (linear)`];
    labels.forEach((label, row) => root.append(text(8, cy(row) + 4, label, { 'text-anchor': 'start', 'font-weight': row > 0 && row <= L ? 600 : 400 })));
    for (let t = 1; t <= T; ++t) {
      root.append(text(cx(t), H - 8, `t = ${t}`));
      for (let row = 0; row <= L + 1; ++row) {
        const loss = row <= L || every || t === T;
        if (!loss) continue;
        const name = row === 0 ? 'x' : row <= L ? `h${row}` : 'y';
        root.append(svg('rect', { x: cx(t) - cw / 2, y: cy(row) - ch / 2, width: cw, height: ch, rx: row > 0 && row <= L ? 8 : 2,
          fill: row === 0 ? '#e3f1e5' : '#ffffff', stroke: INK, 'data-layer': row, 'data-t': t }),
          text(cx(t), cy(row) + 4, colW > 50 ? `${name}_${t}` : ''));
        if (row > 0) root.append(arrow(cx(t), cy(row - 1) - ch / 2, cx(t), cy(row) + ch / 2));
        if (row > 0 && row <= L) root.append(arrow(t === 1 ? cx(1) - colW / 2 : cx(t - 1) + cw / 2, cy(row), cx(t) - cw / 2, cy(row)));
      }
    }
    for (let row = 1; row <= L; ++row) root.append(text(cx(1) - colW / 2 - 8, cy(row) + 4, 'h₀=0', { 'text-anchor': 'end', 'font-size': 11 }));
    const names = net.names;
    const layerOf = (node) => {
      const m = moduleOf(node);
      if (m && m === names.head) return L + 1;
      if (m && m === names.embedding) return 0;
      const k = names.layers.indexOf(m);
      return k >= 0 ? k + 1 : -1;
    };
    return {
      root, layerOf,
      caption: `Each layer runs its cell over the ${T} steps: h_t = cell(x_t, h_{t−1}) from h_0 = 0 (the arrows to the right), the layer above reads h_t as its input (the arrows up), and the head reads the top layer's h_t ${every ? 'at every step' : 'at the last step'}. The graph below holds one node per layer for all steps (the *_sequence op); its backward is backpropagation through time.`,
      none: 'No note at this node. δ_t is the gradient arriving at a layer\'s input projection x_t W_ihᵀ + b_ih (the linear node feeding each *_sequence node), and the head\'s δ at its linear node; step there to see them for any time step and sequence.',
    };
  }

  // ---- the notes ----
  // Column vectors side by side, as the notes write one sample: a row per unit j, a column per vector.
  function vectors(cols) {
    const n = Math.max(...cols.map((c) => c.p.rows[0].length));
    const more = Math.max(...cols.map((c) => c.p.more_cols));
    const t = el('table', { class: 'grid note-vectors', 'aria-label': cols.map((c) => c.label).join(', ') },
      el('tr', {}, el('th', { scope: 'col', text: 'j' }), cols.map((c) => el('th', { scope: 'col', text: c.label }))));
    for (let j = 0; j < n; ++j)
      t.append(el('tr', {}, el('th', { scope: 'row', text: String(j + 1) }),
        cols.map((c) => (j < c.p.rows[0].length ? el('td', { 'data-vec': c.id, 'data-r': j, text: fmt(c.p.rows[0][j]) }) : el('td', { class: 'more' })))));
    if (more) t.append(el('tr', {}, el('td', { class: 'more', colspan: cols.length + 1, text: `⋮ ${more} more units` })));
    return t;
  }
  // A preview grid whose numbers say which column (and channel) they belong to.
  function tagged(p, id, label, channel) {
    const g = grid(p, label);
    g.querySelectorAll('td[data-r]').forEach((td) => { td.dataset.vec = id; if (channel !== undefined) td.dataset.ch = channel; });
    return g;
  }
  function block(b) {
    const caption = b.caption ? el('p', { text: b.caption }) : null;
    if (b.kind === 'vectors') return el('div', { class: 'note-block' }, caption, vectors(b.columns));
    if (b.kind === 'grid') return el('div', { class: 'note-block', style: 'display:inline-block;margin-right:12px;vertical-align:top' }, caption, tagged(b.p, b.id, b.label));
    // maps: a row of maps per channel (channels of a single map side by side)
    return el('div', { class: 'note-block maps' }, caption, el('div', { class: 'row', style: 'gap:6px 24px' },
      b.channels.map((c) => el('div', { class: 'row', style: 'flex:0 1 auto;gap:10px;align-items:flex-end;margin-bottom:6px' },
        c.columns.map((col, i) => el('figure', { style: 'flex:0 0 auto' }, el('figcaption', { text: i ? col.label : `channel ${c.channel + 1}: ${col.label}` }),
          tagged(col.p, col.id, `${col.label}, channel ${c.channel + 1}`, c.channel)))))),
      b.more_channels ? el('p', { class: 'muted', text: `⋯ ${b.more_channels} more channels` }) : null);
  }
  // The label of a column id in the note (for the relations line).
  function labelOf(note, v, id) {
    for (const b of [...note.blocks, ...v.blocks])
      for (const c of b.columns || (b.channels ? b.channels[0].columns : [b]))
        if (c.id === id) return c.label.replace(/ = (product|sum)$/, '');
    return id;
  }
  /// The note of a boundary for the view chosen (time step and sample); `choose({t} or {sample})` changes it.
  function note(n, view, choose, batch) {
    const times = n.times || [null];
    const ti = Math.min(view.t, times.length - 1), si = Math.min(view.sample, n.samples.length - 1);
    const v = n.views[ti][si];
    const recurrentNote = n.times !== undefined && n.times !== null;
    const sampleSelect = el('select', { id: 'sample', 'aria-label': `the ${recurrentNote ? 'sequence' : 'sample'} (row of the batch) the formula is shown for`,
      onchange: (e) => choose({ sample: Number(e.target.value) }, 'sample') },
      n.samples.map((s, i) => el('option', { value: i, selected: i === si, text: `${recurrentNote ? 'sequence' : 'sample'} ${s + 1}` })));
    const timeSelect = recurrentNote ? el('select', { id: 'time', 'aria-label': 'the time step the formula is shown for',
      onchange: (e) => choose({ t: Number(e.target.value) }, 'time') }, times.map((t, i) => el('option', { value: i, selected: i === ti, text: `step t = ${t}` }))) : null;
    const rel = (r) => `${labelOf(n, v, r.result)} = ${r.sum.length > 1 || r.times.length ? `(${r.sum.map((id) => labelOf(n, v, id)).join(' + ')})` : labelOf(n, v, r.sum[0])}${r.times.map((id) => ` ⊙ ${labelOf(n, v, id)}`).join('')}`;
    return el('div', { class: 'panel', 'data-layer': n.layer, 'data-sample': n.samples[si], 'data-time': recurrentNote ? times[ti] : '' },
      el('h3', {}, `${n.title}: `, timeSelect, timeSelect ? ' ' : '', sampleSelect, batch > n.samples.length ? ` (the first ${n.samples.length} of ${batch})` : ''),
      el('p', { class: 'big', style: 'font-size:1.1rem;font-weight:600', 'data-testid': 'formula', text: n.formula }),
      el('p', { class: 'muted', text: n.text }),
      el('div', { class: 'scroll-x' }, n.blocks.filter((b) => !b.after).map(block), v.blocks.map(block), n.blocks.filter((b) => b.after).map(block)),
      el('p', { class: 'muted', 'data-testid': 'relations', text: `Entry by entry: ${n.relations.map(rel).join('; ')}.` }),
      el('p', { 'data-testid': 'note-diff' }, 'max |reference − autograd| here: ', el('b', { text: fmt(v.max_abs_diff) })));
  }

  return { networks: { mlp, cnn, recurrent }, highlight, note };
})();
