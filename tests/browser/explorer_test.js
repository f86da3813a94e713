// Browser test of bpcheck's explorer, for MLP, CNN and recurrent specs: node explorer_test.js <explorer.html> <bpcheck's
// text report> <screenshot folder> <name> <steps>. Stepping with the keyboard shows each step's node and gradients as
// the page's JSON holds them (forward and back, Home and End); the network drawing is the spec's and marks the layer
// of the note; every boundary note (each layer, the first and last time step and sample offered) shows the
// reference's numbers of the JSON, which satisfy the note's relations (δ(l) = W(l+1)ᵀδ(l+1) ⊙ f'(z(l)), ...) as
// shown and equal autograd's gradient arriving at the node; the agreement table and verdict are bpcheck's text
// report; at 1280×800 without horizontal scrolling.
'use strict';
const assert = require('assert');
const fs = require('fs');
const { pageData, withPage, assertShown, run } = require('./check');

const [html, reportFile, screenshots, name, stepsArg] = process.argv.slice(2);
const presses = Number(stepsArg);

// bpcheck's table rows, cut at the columns of its header line (the columns are padded to fixed widths in bytes; an
// activation may be "c2k3p1 relu", a quantity "delta t3"): layer, act, qty, shape, three comparisons ("abs rel" or
// "-"), fd, kinks, ok.
function textRows(text) {
  const lines = text.split('\n');
  const h = lines.findIndex((l) => /^layer\s+act\s+qty\s+shape\s/.test(l));
  assert(h >= 0, 'no header line in the text report');
  const starts = [...lines[h].matchAll(/\S+(?: abs\/rel)?/g)].map((m) => Buffer.byteLength(lines[h].slice(0, m.index)));
  const rows = [];
  for (const line of lines.slice(h + 1)) {
    if (!/^\d+\s/.test(line)) continue;
    const bytes = Buffer.from(line);
    const cells = starts.map((s, i) => bytes.subarray(s, i + 1 < starts.length ? starts[i + 1] : bytes.length).toString().trim());
    const comparisons = cells.slice(4, 7).flatMap((c) => (c === '-' ? ['—', '—'] : c.split(/\s+/)));
    rows.push([cells[0], cells[1], cells[2].replace(/^delta\b/, 'δ'), cells[3], ...comparisons, ...cells.slice(7)]);
  }
  return rows;
}

// Two numbers printed as %.1e by C and toExponential(1) by JavaScript agree to the last digit shown.
function sameRounded(a, b) {
  if (a === b) return true;
  const x = Number(a), y = Number(b);
  return Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= 0.101 * 10 ** Math.floor(Math.log10(Math.abs(y) || 1));
}

run(async () => {
  const data = pageData(html);
  const steps = data.steps, nodes = data.nodes;
  assert(steps.length > presses, `${presses} key presses asked, but the backward pass has only ${steps.length} steps`);
  const text = fs.readFileSync(reportFile, 'utf8');

  await withPage(html, screenshots, name, async (page) => {
    // What the step panel shows: its step and node, and every number of its grids.
    const shownStep = () => page.evaluate(`(() => {
      const p = document.querySelector('[data-testid=step]');
      const nums = (root) => [...root.querySelectorAll('td[data-r]')].map((td) => td.textContent);
      return { step: Number(p.dataset.step), node: Number(p.dataset.node),
               name: p.querySelector('[data-testid=node-name]').textContent,
               rule: p.querySelector('[data-testid=rule]').textContent,
               gradOut: nums(p.querySelector('[data-testid=grad-out]')),
               sent: [...p.querySelectorAll('.sent')].map((s) => ({ input: Number(s.dataset.input), grad: nums(s) })),
               highlighted: [...document.querySelectorAll('#graph g.node')].filter((g) => g.querySelector('rect').getAttribute('stroke') === '#a34f00').map((g) => Number(g.dataset.node)) };
    })()`);
    const expectStep = async (k) => {
      const s = await shownStep(), e = steps[k];
      // The node of the step is inside the graph's visible part (a wide graph scrolls to it).
      const visible = await page.evaluate(`(() => {
        const box = document.getElementById('graph-box').getBoundingClientRect();
        const r = document.querySelector('#graph g.node[data-node="${e.node}"] rect').getBoundingClientRect();
        return r.left >= box.left - 1 && r.right <= box.right + 1;
      })()`);
      assert(visible, `step ${k}: node ${e.node} is outside the graph's visible part`);
      assert.strictEqual(s.step, k, 'the step shown');
      assert.strictEqual(s.node, e.node, `step ${k}: the node`);
      assert.deepStrictEqual(s.highlighted, [e.node], `step ${k}: the node highlighted in the graph`);
      assert(s.name.startsWith(`#${e.node} `), `step ${k}: the node's name "${s.name}"`);
      const n = nodes[e.node];
      assert(s.name.includes(n.kind === 'op' ? n.op : n.kind), `step ${k}: "${s.name}" names the op ${n.op}`);
      assert.strictEqual(s.rule, e.rule || '(none recorded)', `step ${k}: the local rule`);
      assertShown(s.gradOut, e.grad_out.rows.flat(), `step ${k}: gradient arriving`);
      assert.strictEqual(s.sent.length, e.sent.length, `step ${k}: inputs`);
      s.sent.forEach((x, i) => {
        assert.strictEqual(x.input, e.sent[i].input, `step ${k}: input ${i}`);
        assertShown(x.grad, e.sent[i].defined ? e.sent[i].grad.rows.flat() : [], `step ${k}: gradient sent to input ${i}`);
      });
    };

    await expectStep(0);
    // The controls work from the keyboard alone: Tab reaches "next step" (First and Back are disabled at the
    // first step), Enter presses it; every button has a name.
    await page.press('Tab');
    assert.strictEqual(await page.evaluate('document.activeElement.getAttribute("aria-label")'), 'next step', 'Tab focuses the next button');
    await page.press('Enter');
    await expectStep(1);
    const unnamed = await page.evaluate('[...document.querySelectorAll("button")].filter((b) => !b.getAttribute("aria-label")).length');
    assert.strictEqual(unnamed, 0, 'buttons without a label');
    await page.press('Home');
    await expectStep(0);
    for (let i = 0; i < presses; ++i) await page.press('ArrowRight');
    await expectStep(presses);
    await page.press('ArrowLeft');
    await page.press('ArrowLeft');
    await expectStep(presses - 2);
    await page.press('End');
    await expectStep(steps.length - 1);
    await page.press('ArrowRight');  // past the end: stays
    await expectStep(steps.length - 1);
    await page.press('Home');
    await expectStep(0);

    // The network drawing is the spec's: an MLP's layers, a CNN's input and layer boxes, a recurrent net's cells.
    const net = data.network, kind = net.kind;
    const drawn = await page.evaluate(`[...document.querySelectorAll('#network [data-layer]')].map((e) => [Number(e.dataset.layer), e.dataset.t === undefined ? 0 : Number(e.dataset.t)])`);
    const layersDrawn = [...new Set(drawn.map(([l]) => l))].sort((a, b) => a - b);
    if (kind === 'mlp') assert.deepStrictEqual(layersDrawn, net.layers.map((_, l) => l), 'the MLP\'s layers drawn');
    if (kind === 'cnn') assert.deepStrictEqual(layersDrawn, [0, ...net.layers.map((l) => l.layer)], 'the CNN\'s input and layers drawn');
    if (kind === 'recurrent') {
      const L = net.hidden.length, T = net.steps;
      const cells = (l) => drawn.filter(([x]) => x === l).map(([, t]) => t).join(',');
      const all = Array.from({ length: T }, (_, t) => t + 1).join(',');
      for (let l = 0; l <= L; ++l) assert.strictEqual(cells(l), all, `the cells of row ${l} over the ${T} steps`);
      assert.strictEqual(cells(L + 1), net.loss_at === 'every' ? all : String(T), 'the head\'s cells: where the loss is taken');
    }

    // Every boundary note: for the first and last time step and sample it offers (chosen in the selects as a user
    // would, with change events), the numbers shown are the JSON's, satisfy the note's relations as shown, and the
    // autograd columns are the gradient arriving at the step's node.
    const noted = steps.map((s, k) => [k, data.notes[String(s.node)]]).filter(([, n]) => n);
    const expectedNotes = { mlp: net.layers ? net.layers.length - 1 : 0, cnn: data.reference_gap ? 0 : (net.layers || []).length,
      recurrent: (net.hidden || []).length + 1 }[kind];
    assert.strictEqual(noted.length, expectedNotes, `notes: ${noted.length}, expected ${expectedNotes} for this ${kind} spec`);
    const choose = (id, value) => page.evaluate(`(() => { const s = document.getElementById('${id}'); s.value = '${value}'; s.dispatchEvent(new Event('change')); })()`);
    const key = (vec, ch, r, c) => `${vec}|${ch ?? ''}|${r}|${c ?? ''}`;
    for (const [k, note] of noted) {
      await page.press('Home');
      for (let i = 0; i < k; ++i) await page.press('ArrowRight');
      await expectStep(k);
      const times = note.times || [null];
      for (const ti of [...new Set([0, times.length - 1])])
        for (const si of [...new Set([0, note.samples.length - 1])]) {
          if (note.times) await choose('time', ti);
          await choose('sample', si);
          const what = `step ${k}, note of layer ${note.layer}, ${note.times ? `t = ${times[ti]}, ` : ''}sample ${note.samples[si]}`;
          const shown = await page.evaluate(`(() => {
            const n = document.querySelector('[data-testid=note]');
            const p = n.querySelector('[data-sample]');
            return { sample: Number(p.dataset.sample), time: p.dataset.time, formula: n.querySelector('[data-testid=formula]').textContent,
                     cells: [...n.querySelectorAll('td[data-vec]')].map((td) => [td.dataset.vec, td.dataset.ch, td.dataset.r, td.dataset.c, td.textContent]),
                     marked: [...document.querySelectorAll('#network [data-layer]')].filter((e) => e.getAttribute('stroke') === '#a34f00').map((e) => [Number(e.dataset.layer), e.dataset.t]) };
          })()`);
          assert.strictEqual(shown.sample, note.samples[si], `${what}: the sample shown`);
          assert.strictEqual(shown.time, note.times ? String(times[ti]) : '', `${what}: the time step shown`);
          assert.strictEqual(shown.formula, note.formula, `${what}: the formula`);
          assert(shown.marked.length > 0 && shown.marked.every(([l, t]) => l === note.layer && (!note.times || t === undefined || t === String(times[ti]))),
            `${what}: the drawing marks ${JSON.stringify(shown.marked)}, not layer ${note.layer}${note.times ? ` at t = ${times[ti]}` : ''}`);
          // The JSON's numbers of this view, keyed as the page tags them.
          const view = note.views[ti][si], expected = new Map(), autograd = [];
          for (const b of [...note.blocks, ...view.blocks]) {
            if (b.kind === 'grid') b.p.rows.forEach((row, r) => row.forEach((v, c) => expected.set(key(b.id, undefined, r, c), v)));
            for (const col of b.columns || []) {
              col.p.rows[0].forEach((v, r) => expected.set(key(col.id, undefined, r), v));
              if (col.grad_row !== undefined) autograd.push(col.p.rows[0].map((v, j) => [col.grad_row, (col.grad_col || 0) + j, v]));
            }
            for (const ch of b.channels || [])
              for (const col of ch.columns) {
                col.p.rows.forEach((row, r) => row.forEach((v, c) => expected.set(key(col.id, ch.channel, r, c), v)));
                if (col.grad_row !== undefined) autograd.push(col.p.rows.flatMap((row, r) => row.map((v, c) => [col.grad_row + r, c, v])));
              }
          }
          const shownAt = new Map(shown.cells.map(([vec, ch, r, c, t]) => [key(vec, ch, r, c), Number(t)]));
          assert.deepStrictEqual([...shownAt.keys()].sort(), [...expected.keys()].sort(), `${what}: the numbers shown`);
          assertShown([...expected.keys()].map((x) => String(shownAt.get(x))), [...expected.values()], `${what}: the reference's numbers`);
          // The relations, entry by entry on the numbers shown (4 significant digits each).
          assert(note.relations.length > 0, `${what}: no relation`);
          for (const rel of note.relations) {
            let checked = 0;
            for (const [x, v] of shownAt) {
              const [vec, ch, r, c] = x.split('|');
              if (vec !== rel.result) continue;
              const at = (id) => { const y = shownAt.get([id, ch, r, c].join('|')); assert(y !== undefined, `${what}: ${id} has no entry at ${x}`); return y; };
              const sum = rel.sum.reduce((acc, id) => acc + at(id), 0), scale = rel.sum.reduce((acc, id) => acc + Math.abs(at(id)), 0);
              const prod = rel.times.reduce((acc, id) => acc * at(id), 1), prodAbs = rel.times.reduce((acc, id) => acc * Math.abs(at(id)), 1);
              assert(Math.abs(sum * prod - v) <= 2e-3 * scale * prodAbs + 1e-12,
                `${what}: ${rel.result} ${x} = ${v} shown, (${rel.sum.join(' + ')})${rel.times.map((t) => ' ⊙ ' + t).join('')} = ${sum * prod}`);
              ++checked;
            }
            assert(checked > 0, `${what}: nothing shown for ${rel.result}`);
          }
          // autograd's columns are the gradient that arrived at this step's node (its preview's rows and columns).
          const arriving = steps[k].grad_out.rows;
          let compared = 0;
          for (const [r, c, v] of autograd.flat())
            if (arriving[r] && c < arriving[r].length) {
              assert(Math.abs(arriving[r][c] - v) <= 1e-12 * Math.abs(v) + 1e-300, `${what}: autograd's ${v} is not the gradient arriving (${arriving[r][c]}) at row ${r} column ${c}`);
              ++compared;
            }
          if (si === 0 && ti === 0) assert(compared > 0, `${what}: nothing compared with the gradient arriving`);
        }
      await choose('sample', 0);
      if (note.times) await choose('time', 0);
    }
    await page.press('Home');
    // The screenshot shows the note backward reaches last: layer 1's boundary.
    if (noted.length) for (let i = 0; i < noted[noted.length - 1][0]; ++i) await page.press('ArrowRight');

    // The agreement table is bpcheck's text report, row by row and cell by cell.
    const pageRows = await page.evaluate(`[...document.querySelectorAll('#agreement tr.agreement-row')].map((tr) => [...tr.children].map((td) => td.textContent))`);
    const expected = textRows(text);
    assert.strictEqual(pageRows.length, expected.length, 'agreement rows');
    assert(expected.length > 0, 'no rows parsed from the text report');
    pageRows.forEach((r, i) => {
      assert.deepStrictEqual(r.slice(0, 4), expected[i].slice(0, 4), `agreement row ${i}: layer, activation, quantity, shape`);
      for (let c = 4; c < 10; ++c) assert(sameRounded(r[c], expected[i][c]), `agreement row ${i} column ${c}: page ${r[c]}, report ${expected[i][c]}`);
      assert.deepStrictEqual(r.slice(10), expected[i].slice(10), `agreement row ${i}: fd, kinks, ok`);
    });
    const verdict = await page.evaluate('document.querySelector("[data-testid=verdict]").textContent');
    assert(text.split('\n').includes(verdict), `the verdict "${verdict}" is not a line of the text report`);
    // The loss values are the report's (the JSON key of the finite differences' is finite_differences, as --json's).
    const lossLine = text.split('\n').find((l) => l.startsWith('loss value: autograd '));
    assert(lossLine, 'no loss value line in the text report');
    const fdLoss = Number(lossLine.match(/ fd (\S+)/)[1]), agLoss = Number(lossLine.match(/autograd (\S+)/)[1]);
    assert(Math.abs(fdLoss - data.agreement.loss.finite_differences) <= 1e-11 * Math.abs(fdLoss), `the page's finite-difference loss ${data.agreement.loss.finite_differences}, the report's ${fdLoss}`);
    assert(Math.abs(agLoss - data.agreement.loss.autograd) <= 1e-11 * Math.abs(agLoss), `the page's autograd loss ${data.agreement.loss.autograd}, the report's ${agLoss}`);

    // Big tensors are previewed: no grid shows more than 6 × 6 numbers (a note's vectors 10).
    const widest = await page.evaluate(`Math.max(...[...document.querySelectorAll('table.grid tr')].map((tr) => tr.querySelectorAll('td[data-r]').length))`);
    assert(widest <= 10, `a grid shows ${widest} columns`);
    // The screenshot: the stepper, the graph and the boundary note together.
    await page.evaluate('document.querySelector("#step-counter").parentElement.scrollIntoView()');
  });
  console.log(`explorer ${name}: ${steps.length} steps, ${presses} key presses forward and 2 back checked, agreement table = text report`);
});
