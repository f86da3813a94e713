// bpcheck's backprop explorer: draws the network, the forward graph and a step-through of the backward pass (in
// the engine's order, from a BackwardTrace) with the notes' δ(l) formula at each layer boundary, and the
// three-way agreement table, from the inline JSON that examples/common/explorer.cpp writes.
'use strict';
(() => {
  const { el, svg, fmt, grid, shape } = DG;
  const d = DG.data();
  const app = document.getElementById('app');
  const nodes = d.nodes, steps = d.steps, notes = d.notes || {};
  const nodeName = (n) => {
    const what = n.kind === 'op' ? n.op : n.kind;
    return `#${n.id} ${n.label ? `${n.label} (${what})` : what}`;
  };

  // ---- heading ----
  const r = d.run || {};
  const ag = d.agreement;
  const net = d.network, kind = net.kind;
  const model = DG.explorer.networks[kind](net, d);
  const batch = kind === 'cnn' ? `batch of ${d.batch} images ${net.input.join('×')}`
    : kind === 'recurrent' ? `${d.batch} sequences of ${net.steps} steps, the loss at ${net.loss_at === 'every' ? 'every step' : 'the last step'}`
      : `batch of ${d.batch}`;
  const reference = { mlp: 'delta reference', cnn: 'conv delta reference', recurrent: 'BPTT reference' }[kind];
  app.append(el('h1', { text: `Backprop explorer: ${net.spec}` }),
    el('p', { class: 'muted', text: `loss ${r.loss}, ${batch} (seed ${r.seed}), ${r.dtype}${kind === 'mlp' ? `, L2 λ = ${r.lambda}` : ''}. ` +
      `Loss value: autograd ${fmt(ag.loss.autograd, 12)}, ${ag.reference_run === false ? `${reference} not run (${ag.note})` : `${reference} ${fmt(ag.loss.reference, 12)}`}, finite differences' forward ${fmt(ag.loss.finite_differences, 12)}.` }));

  // ---- the network ----
  app.append(el('h2', { text: 'The network' }), el('div', { class: 'scroll-x' }, model.root), el('p', { class: 'muted', text: model.caption }));

  // ---- the forward graph ----
  // Columns by the longest path to the loss (ids are a forward order), so that side branches such as an L2
  // penalty sit next to the loss they join; each leaf one column before its first consumer.
  const toRoot = new Array(nodes.length).fill(0);
  for (let id = nodes.length - 1; id >= 0; --id) for (const i of nodes[id].inputs) toRoot[i] = Math.max(toRoot[i], toRoot[id] + 1);
  const last = Math.max(...toRoot);
  const depth = toRoot.map((r) => last - r);
  for (const n of nodes) for (const i of n.inputs) if (!nodes[i].inputs.length) depth[i] = Infinity;
  for (const n of nodes) for (const i of n.inputs) if (!nodes[i].inputs.length) depth[i] = Math.min(depth[i], depth[n.id] - 1);
  const columns = [];
  nodes.forEach((n) => (columns[depth[n.id]] = columns[depth[n.id]] || []).push(n.id));
  const BW = 150, BH = 44, GX = 40, GY = 16;
  const GW = columns.length * (BW + GX) + 20, GH = Math.max(...columns.map((c) => c.length)) * (BH + GY) + 20;
  const pos = {};
  columns.forEach((col, c) => col.forEach((id, k) => { pos[id] = { x: 10 + c * (BW + GX), y: 10 + k * (BH + GY) + ((GH - 20 - col.length * (BH + GY)) / 2) }; }));
  // A graph wider than the page keeps its size (readable labels) and scrolls in its own box, following the step.
  const graph = svg('svg', { id: 'graph', viewBox: `0 0 ${GW} ${GH}`, width: GW, height: GH, role: 'img',
    style: GW > 1200 ? 'max-width:none' : null,
    'aria-label': 'the computational graph of the forward pass; the current backward step is highlighted' });
  graph.append(svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
    svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#6b6b6b' }))));
  const edges = {};
  for (const n of nodes)
    n.inputs.forEach((i, arg) => {
      const a = pos[i], b = pos[n.id];
      const line = svg('path', { d: `M${a.x + BW},${a.y + BH / 2} C${a.x + BW + GX / 2},${a.y + BH / 2} ${b.x - GX / 2},${b.y + BH / 2} ${b.x},${b.y + BH / 2}`,
        fill: 'none', stroke: '#6b6b6b', 'stroke-width': 1.3, 'marker-end': 'url(#arrow)', class: 'edge' });
      edges[`${i}-${n.id}`] = line;
      graph.append(line);
    });
  const fills = { parameter: '#dbe8f7', input: '#e3f1e5', constant: '#eeeeee', op: '#ffffff' };
  const boxes = {};
  for (const n of nodes) {
    const p = pos[n.id];
    const title = n.kind === 'op' ? n.op : n.label || n.kind;
    const box = svg('g', { class: `node ${n.kind}`, 'data-node': n.id },
      svg('rect', { x: p.x, y: p.y, width: BW, height: BH, rx: n.kind === 'op' ? 10 : 2, fill: fills[n.kind], stroke: '#1a1a1a',
        'stroke-width': 1.2, 'stroke-dasharray': n.kind === 'constant' ? '4 3' : null }),
      svg('text', { x: p.x + BW / 2, y: p.y + 18, 'text-anchor': 'middle', 'font-size': 13, 'font-weight': 600,
        text: `#${n.id} ${title.length > 15 ? title.slice(0, 14) + '…' : title}` }),
      svg('text', { x: p.x + BW / 2, y: p.y + 35, 'text-anchor': 'middle', 'font-size': 12,
        text: `${n.kind === 'op' ? (n.label ? n.label.slice(-12) + ' ' : '') : n.kind + ' '}${shape(n.shape)}` }),
      svg('title', { text: `${nodeName(n)} ${shape(n.shape)}; value ${n.value.rows.flat().slice(0, 6).map((v) => fmt(v)).join(', ')}…; norm ${fmt(n.value.norm)}` }));
    boxes[n.id] = box;
    graph.append(box);
  }
  const legend = el('div', { class: 'legend' },
    ['op', 'parameter', 'input', 'constant'].map((k) => el('span', {}, el('span', { class: 'swatch', style: `background:${fills[k]}` }),
      { op: 'op (rounded)', parameter: 'parameter (requires grad)', input: 'input (the batch, the targets)', constant: 'constant (dashed)' }[k])),
    el('span', {}, el('span', { class: 'swatch', style: 'background:#ffffff;border:3px solid #a34f00' }), 'the node of this step'),
    el('span', {}, el('span', { class: 'swatch', style: 'background:#ffffff;border:3px solid #1f5fa8' }), 'its inputs, receiving gradients'));

  // ---- the step-through ----
  const btn = (label, text, keys, fn) => el('button', { type: 'button', 'aria-label': label, 'aria-keyshortcuts': keys, onclick: fn, text });
  const first = btn('first step', '« First', 'Home', () => go(0));
  const back = btn('previous step', '‹ Back', 'ArrowLeft', () => go(cur - 1));
  const next = btn('next step', 'Next ›', 'ArrowRight', () => go(cur + 1));
  const lastB = btn('last step', 'Last »', 'End', () => go(steps.length - 1));
  const counter = el('span', { id: 'step-counter', 'aria-live': 'polite', 'data-testid': 'step-counter' });
  const panel = el('div', { id: 'step', class: 'panel', 'data-testid': 'step' });
  // A CNN's or recurrent net's notes hold rows of maps and wide tables: the full width, above the step's panel.
  const notePanel = el('div', { id: 'note', 'data-testid': 'note', style: kind === 'mlp' ? null : 'flex-basis:100%' });
  app.append(el('h2', { text: 'The backward pass, one node at a time' }),
    el('p', { class: 'muted', text: `The engine visits the ${steps.length} nodes in reverse topological order (its real order, recorded by a BackwardTrace). Each node applies its local rule to the gradient that arrived and sends one gradient to each input. Keys: → next, ← back, Home first, End last.` }),
    el('div', { class: 'row', style: 'align-items:center;gap:8px' }, el('div', { style: 'flex:0 0 auto;display:flex;gap:8px' }, first, back, next, lastB), counter),
    el('div', { class: 'scroll-x', id: 'graph-box', style: 'margin:8px 0' }, graph), legend,
    el('div', { class: 'row', style: 'margin-top:10px' }, kind === 'mlp' ? [panel, notePanel] : [notePanel, panel]));

  let cur = 0;
  function go(k) {
    cur = Math.max(0, Math.min(steps.length - 1, k));
    const s = steps[cur], n = nodes[s.node];
    counter.textContent = `step ${cur + 1} of ${steps.length}: ${nodeName(n)}`;
    first.disabled = back.disabled = cur === 0;
    next.disabled = lastB.disabled = cur === steps.length - 1;
    for (const b of Object.values(boxes)) b.querySelector('rect').setAttribute('stroke', '#1a1a1a'), b.querySelector('rect').setAttribute('stroke-width', 1.2);
    for (const e of Object.values(edges)) e.setAttribute('stroke', '#6b6b6b'), e.setAttribute('stroke-width', 1.3);
    const mark = (id, color) => { const rect = boxes[id].querySelector('rect'); rect.setAttribute('stroke', color); rect.setAttribute('stroke-width', 4); };
    mark(s.node, '#a34f00');
    const box = document.getElementById('graph-box');
    if (box) box.scrollLeft = pos[s.node].x + BW / 2 - box.clientWidth / 2;
    s.sent.forEach((x) => { if (x.defined) { mark(x.input, '#1f5fa8'); const e = edges[`${x.input}-${s.node}`]; if (e) e.setAttribute('stroke', '#a34f00'), e.setAttribute('stroke-width', 3); } });
    panel.setAttribute('data-step', cur);
    panel.setAttribute('data-node', s.node);
    panel.replaceChildren(
      el('h3', {}, `Step ${cur + 1}: `, el('span', { 'data-testid': 'node-name', text: nodeName(n) }), ` ${shape(n.shape)}`),
      el('p', {}, 'Local rule: ', el('code', { 'data-testid': 'rule', text: s.rule || '(none recorded)' })),
      el('p', { text: cur === 0 ? 'Gradient arriving: ∂loss/∂loss = 1, where backward starts.' : 'Gradient arriving at this node, ∂loss/∂(this node):' }),
      el('div', { class: 'scroll-x', 'data-testid': 'grad-out' }, grid(s.grad_out, 'gradient arriving')),
      el('p', { class: 'muted', text: `norm ${fmt(s.grad_out.norm)}; the node's forward value has norm ${fmt(n.value.norm)}` }),
      el('h3', { text: 'Sent to each input' }),
      ...s.sent.map((x, i) => {
        const to = nodes[x.input];
        return el('div', { class: 'sent', 'data-input': x.input, 'data-arg': i },
          el('p', {}, `→ input ${i + 1}: `, el('b', { text: nodeName(to) }), ` ${shape(to.shape)}`,
            x.summed_to ? ` (sent as ${shape(x.grad.shape)}, summed to ${shape(x.summed_to)} where it was broadcast)` : ''),
          x.defined ? el('div', { class: 'scroll-x' }, grid(x.grad, `gradient sent to ${nodeName(to)}`))
            : el('p', { class: 'muted', text: 'nothing: this input does not require a gradient' }));
      }));
    const note = notes[String(s.node)];
    // The layer of this node in the network drawing (and the time step of a recurrent note).
    const layer = note ? note.layer : model.layerOf(n);
    DG.explorer.highlight(model.root, layer, note && note.times ? note.times[Math.min(view.t, note.times.length - 1)] : undefined);
    notePanel.replaceChildren(note ? DG.explorer.note(note, view, choose, d.batch) : el('div', { class: 'panel muted', text: model.none }));
  }
  // The time step and sample the notes are shown for (kept while stepping); the selects change them.
  const view = { t: 0, sample: 0 };
  function choose(change, select) {
    Object.assign(view, change);
    go(cur);
    document.getElementById(select).focus();
  }

  document.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const to = { ArrowRight: cur + 1, ArrowLeft: cur - 1, Home: 0, End: steps.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    go(to);
  });

  // ---- the forward values ----
  const fw = el('table', { id: 'forward', 'aria-label': 'every node of the forward pass with its value' },
    el('tr', {}, ['node', 'kind', 'shape', 'value (first rows and columns)', 'norm'].map((h) => el('th', { scope: 'col', class: 'left', text: h }))));
  for (const n of nodes)
    fw.append(el('tr', { 'data-node': n.id }, el('td', { text: nodeName(n) }), el('td', { class: 'left', text: n.kind }),
      el('td', { class: 'left', text: shape(n.shape) }), el('td', { class: 'left' }, grid(n.value, `value of ${nodeName(n)}`)),
      el('td', { text: fmt(n.value.norm) })));
  app.append(el('h2', { text: 'The forward pass: every node\'s value' }),
    el('details', { open: nodes.length <= 12 }, el('summary', { text: `${nodes.length} nodes: kind, shape, the first rows and columns of the value, and its norm` }),
      el('div', { class: 'scroll-x' }, fw)));

  // ---- the three-way agreement ----
  const e1 = (c) => (c.compared ? [c.max_abs.toExponential(1), c.max_rel.toExponential(1)] : ['—', '—']);
  const at = el('table', { id: 'agreement', 'aria-label': 'autograd, the delta reference and finite differences compared per layer' },
    el('tr', {}, el('th', { rowspan: 2, text: 'layer' }), el('th', { rowspan: 2, class: 'left', text: 'activation' }),
      el('th', { rowspan: 2, class: 'left', text: 'quantity' }), el('th', { rowspan: 2, class: 'left', text: 'shape' }),
      el('th', { colspan: 2, text: 'autograd vs reference' }), el('th', { colspan: 2, text: 'autograd vs FD' }),
      el('th', { colspan: 2, text: 'reference vs FD' }), el('th', { rowspan: 2, text: 'FD coords' }), el('th', { rowspan: 2, text: 'kinks' }),
      el('th', { rowspan: 2, text: 'ok' })),
    el('tr', {}, [1, 2, 3].flatMap(() => [el('th', { text: 'max abs' }), el('th', { text: 'max rel' })])));
  for (const q of ag.rows)
    at.append(el('tr', { class: 'agreement-row' }, el('td', { text: String(q.layer) }), el('td', { class: 'left', text: q.activation }),
      el('td', { class: 'left', text: q.quantity.replace(/^delta\b/, 'δ'), 'data-quantity': q.quantity }), el('td', { class: 'left', text: shape(q.shape) }),
      [q.autograd_vs_reference, q.autograd_vs_fd, q.reference_vs_fd].flatMap((c) => e1(c).map((t) => el('td', { class: 'mono', text: t }))),
      el('td', { text: String(q.fd_count) }), el('td', { text: String(q.kinks) }),
      el('td', { class: q.ok ? 'ok' : 'fail', text: q.ok ? 'ok' : 'FAIL' })));
  app.append(el('h2', { text: `Three ways agree: autograd, the ${reference}, finite differences` }),
    el('p', { class: 'muted', text: `Per layer: its parameters' gradients and δ(l)${kind === 'recurrent' ? ' (one row per time step)' : ''} by autograd, by the ${reference} (the textbook recurrences on plain arrays), and by fourth-order central differences in ${ag.fd_precision}. max rel is relative to the quantity's largest value; tolerances: rtol ${ag.tolerances.analytic_rtol} between the two analytic ones, ${ag.tolerances.numeric_rtol} against FD.${ag.note ? ` Note: ${ag.note}.` : ''}` }),
    el('div', { class: 'scroll-x' }, at),
    el('p', { 'data-testid': 'verdict', class: ag.ok ? 'ok' : 'fail',
      text: `${ag.ok ? 'PASS' : 'FAIL'}: ${ag.layers} layers, ${ag.fd_count} finite-difference coordinates, ${ag.flagged_count} flagged at kinks` }));

  go(0);
})();
