// train's report page (report.html): draws the run from the inline JSON that examples/common/html_report.cpp
// writes: headline accuracy, loss / accuracy / learning-rate charts, confusion heat map, misclassified test
// images, per-layer diagnostics, options and timing.
'use strict';
(() => {
  const { el, fmt, lineChart, heat } = DG;
  const d = DG.data();
  const app = document.getElementById('app');
  const h = d.history;
  const last = h.length ? h[h.length - 1] : null;
  const name = (c) => (d.class_names.length ? d.class_names[c] : String(c));
  const series = (key, label, dash) => ({ name: label, dash, points: h.map((r) => [r.epoch, r[key]]) });

  // ---- headline ----
  const ev = d.evaluation;
  const status = d.finished ? `finished: ${h.length} epoch${h.length === 1 ? '' : 's'}`
    : `in progress: epoch ${h.length} of ${d.epochs_planned} done (train rewrites this page after every epoch; it reloads itself every 20 s)`;
  if (!d.finished) setTimeout(() => location.reload(), 20000);
  app.append(
    el('h1', { text: d.title }),
    el('p', { class: 'muted', 'data-testid': 'status', text: status }),
    el('div', { class: 'row' },
      el('div', { class: 'panel' },
        el('div', { text: d.finished ? 'final test accuracy' : `test accuracy after epoch ${ev.epoch}` }),
        el('div', { class: 'big', 'data-testid': 'final-accuracy', text: ev.accuracy.toFixed(4) }),
        el('div', { class: 'muted', text: `${(100 * ev.accuracy).toFixed(2)} % of ${ev.test_size} test samples; test loss ${fmt(ev.loss)}` })),
      el('div', { class: 'panel' },
        el('div', { text: 'last epoch' }),
        last ? el('div', {}, `train loss ${fmt(last.train_loss)}, accuracy ${last.train_accuracy.toFixed(4)}`,
          el('br', {}), `learning rate ${fmt(last.lr)}, ${fmt(last.seconds, 3)} s, ${Math.round(last.samples_per_second)} samples/s`)
          : el('div', { text: 'no epoch yet' }))));

  // ---- curves ----
  app.append(el('h2', { text: 'Loss, accuracy and learning rate per epoch' }),
    el('div', { class: 'row' },
      lineChart({ title: 'loss', x: 'epoch', y: 'loss', series: [series('train_loss', 'train'), series('test_loss', 'test', '6 4')] }),
      lineChart({ title: 'accuracy', x: 'epoch', y: 'accuracy',
        series: [series('train_accuracy', 'train'), series('test_accuracy', 'test', '6 4')] }),
      lineChart({ title: 'learning rate at the end of each epoch', x: 'epoch', y: 'lr', series: [series('lr', 'lr')] })));

  // ---- confusion matrix ----
  const cm = ev.confusion;
  const top = Math.max(1, ...cm.flatMap((row, t) => row.filter((_, p) => p !== t)));
  const diagTop = Math.max(1, ...cm.map((row, t) => row[t]));
  const table = el('table', { id: 'confusion', 'aria-label': 'confusion matrix: rows are true classes, columns predicted classes' });
  table.append(el('tr', {}, el('th', { class: 'left', text: 'true \\ predicted' }),
    cm.map((_, p) => el('th', { scope: 'col', title: name(p), text: d.class_names.length ? `${p}` : name(p) }))));
  cm.forEach((row, t) => {
    const tr = el('tr', {}, el('th', { scope: 'row', class: 'left', text: d.class_names.length ? `${t} ${name(t)}` : name(t) }));
    row.forEach((n, p) => {
      const c = heat(p === t ? n / diagTop : n / top);
      tr.append(el('td', { 'data-count': n, 'data-true': t, 'data-predicted': p, title: `true ${name(t)}, predicted ${name(p)}: ${n}`,
        style: `background:${c.background};color:${c.color};${p === t ? 'font-weight:700;' : ''}`, text: String(n) }));
    });
    table.append(tr);
  });
  app.append(el('h2', { text: `Confusion matrix on the test set (epoch ${ev.epoch})` }),
    el('p', { class: 'muted', text: 'Rows: the true class; columns: the predicted class. The diagonal (bold) is shaded on its own scale, the mistakes on theirs, so that small confusions stay visible.' }),
    el('div', { class: 'scroll-x' }, table));

  // ---- misclassified images ----
  const m = d.misclassified;
  const gallery = el('div', { id: 'misclassified', style: 'display:grid;grid-template-columns:repeat(auto-fill,minmax(112px,1fr));gap:10px' });
  for (const img of m.shown) {
    const canvas = el('canvas', { width: m.width, height: m.height, 'data-index': img.index, role: 'img',
      'aria-label': `test image ${img.index}: true ${name(img.true)}, predicted ${name(img.predicted)}`,
      style: `width:${Math.min(96, 4 * m.width)}px;height:${Math.min(96, 4 * m.width) * m.height / m.width}px;image-rendering:pixelated;border:1px solid #c8c8c8` });
    const ctx = canvas.getContext('2d');
    const pixels = ctx.createImageData(m.width, m.height);
    img.pixels.forEach((v, k) => { pixels.data.set([v, v, v, 255], 4 * k); });
    ctx.putImageData(pixels, 0, 0);
    gallery.append(el('figure', { class: 'mistake', 'data-index': img.index, 'data-true': img.true, 'data-predicted': img.predicted },
      canvas,
      el('figcaption', {}, `#${img.index}`, el('br', {}),
        el('span', { class: 'true-label' }, 'true: ', el('b', { text: name(img.true) })), el('br', {}),
        el('span', { class: 'predicted-label' }, 'predicted: ', el('b', { class: 'fail', text: name(img.predicted) })))));
  }
  app.append(el('h2', { text: 'Misclassified test images' }),
    el('p', { class: 'muted', text: `${m.total} of ${ev.test_size} test images are misclassified; the first ${m.shown.length} in test order are shown (each rescaled from its own darkest to its lightest pixel).` }),
    gallery);

  // ---- diagnostics ----
  if (d.diagnostics && d.diagnostics.length) {
    const rows = d.diagnostics;
    const layers = [...new Set(rows.map((r) => r.layer))].sort((a, b) => a - b);
    const per = (key) => layers.map((l) => ({ name: `layer ${l}`, points: rows.filter((r) => r.layer === l).map((r) => [r.epoch, r[key]]) }));
    const lastEpoch = Math.max(...rows.map((r) => r.epoch));
    const cols = ['layer', 'activation', 'delta_norm', 'grad_norm', 'update_ratio', 'dead_relu', 'saturated', 'flag'];
    const t = el('table', { id: 'diagnostics', 'aria-label': `per-layer diagnostics, epoch ${lastEpoch}` },
      el('tr', {}, cols.map((c) => el('th', { scope: 'col', text: c }))));
    for (const r of rows.filter((r) => r.epoch === lastEpoch))
      t.append(el('tr', {}, cols.map((c) => el('td', { 'data-col': c, text: typeof r[c] === 'number' ? fmt(r[c]) : (r[c] || '—') }))));
    app.append(el('h2', { text: 'Per-layer diagnostics (--diagnostics)' }),
      el('p', { class: 'muted', text: 'Mean over each epoch\'s batches: |δ(l)| = ‖∂loss/∂z(l)‖, |ΔW(l)| = ‖∂loss/∂W(l)‖, the update ‖W_new − W_old‖/‖W_old‖, the share of dead ReLUs and of saturated sigmoid/tanh units, and the vanishing/exploding flags.' }),
      el('div', { class: 'row' },
        lineChart({ title: '|δ(l)| per epoch', x: 'epoch', y: '|δ(l)|', log: true, series: per('delta_norm') }),
        lineChart({ title: 'update / |W| per epoch', x: 'epoch', y: 'ratio', log: true, series: per('update_ratio') })),
      el('h3', { text: `Epoch ${lastEpoch}` }), el('div', { class: 'scroll-x' }, t));
  }

  // ---- options and timing ----
  const opt = el('table', { id: 'options', 'aria-label': 'options of the run' });
  for (const [k, v] of Object.entries(d.options)) {
    if (v === '' || v === null) continue;
    opt.append(el('tr', {}, el('th', { scope: 'row', class: 'left', text: '--' + k.replace(/_/g, '-') }),
      el('td', { class: 'left mono', text: typeof v === 'object' ? JSON.stringify(v) : String(v) })));
  }
  const tm = d.timing;
  const total = h.reduce((s, r) => s + r.seconds, 0);
  const timing = el('table', { id: 'timing', 'aria-label': 'timing' },
    el('tr', {}, el('th', { class: 'left', scope: 'col', text: 'epoch' }), el('th', { scope: 'col', text: 'seconds' }),
      el('th', { scope: 'col', text: 'samples/s' }), el('th', { scope: 'col', text: 'lr' })),
    h.map((r) => el('tr', {}, el('td', { text: String(r.epoch) }), el('td', { text: r.seconds.toFixed(2) }),
      el('td', { text: String(Math.round(r.samples_per_second)) }), el('td', { text: fmt(r.lr) }))));
  app.append(el('h2', { text: 'Options and timing' }),
    el('div', { class: 'row' },
      el('div', {}, el('h3', { text: 'Options' }), el('div', { class: 'scroll-x' }, opt)),
      el('div', {}, el('h3', { text: 'Timing' }),
        el('p', { text: `data loading ${tm.data_seconds.toFixed(1)} s; training ${total.toFixed(1)} s over ${h.length} epochs; ${tm.elapsed_seconds.toFixed(1)} s since the start; page written ${tm.written}.` }),
        el('div', { class: 'scroll-x' }, timing))));
})();
