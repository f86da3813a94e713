// Browser test of bpcheck's explorer: node explorer_test.js <explorer.html> <bpcheck's text report> <screenshot
// folder> <name> <steps>. Stepping with the keyboard shows each step's node and gradients as the page's JSON holds
// them (forward and back, Home and End), the layer-boundary note's numbers satisfy δ(l) = W(l+1)ᵀδ(l+1) ⊙ f'(z(l))
// as shown, and the agreement table and verdict are bpcheck's text report; at 1280×800 without horizontal scrolling.
'use strict';
const assert = require('assert');
const fs = require('fs');
const { pageData, withPage, assertShown, run } = require('./check');

const [html, reportFile, screenshots, name, stepsArg] = process.argv.slice(2);
const presses = Number(stepsArg);

// bpcheck's table rows: layer act qty shape, three comparisons ("abs rel" or "-"), fd, kinks, ok.
function textRows(text) {
  const rows = [];
  for (const line of text.split('\n')) {
    const m = line.match(/^(\d+)\s+(\S+)\s+(W|b|delta)\s+(\[[^\]]*\])\s+(.*)$/);
    if (!m) continue;
    const t = m[5].trim().split(/\s+/);
    const cells = [];
    for (let c = 0; c < 3; ++c) cells.push(...(t[0] === '-' ? (t.shift(), ['—', '—']) : t.splice(0, 2)));
    rows.push([m[1], m[2], m[3] === 'delta' ? 'δ' : m[3], m[4], ...cells, ...t]);
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

    // Every layer boundary: the formula, the reference's numbers, and δ(l) = W(l+1)ᵀδ(l+1) ⊙ f'(z(l)) as shown.
    const noted = steps.map((s, k) => [k, data.notes[String(s.node)]]).filter(([, n]) => n);
    assert.strictEqual(noted.length, data.network.layers.length - 1, 'a note at every layer');
    for (const [k, note] of noted) {
      for (let i = 0; i < k; ++i) await page.press('ArrowRight');
      await expectStep(k);
      // The first sample, then the last one offered (chosen in the select as a user would, with a change event).
      for (const sample of [0, note.samples.length - 1]) {
        if (sample) await page.evaluate(`(() => { const s = document.getElementById('sample'); s.value = '${sample}'; s.dispatchEvent(new Event('change')); })()`);
        const r = note.samples[sample];
        const shown = await page.evaluate(`(() => {
          const n = document.querySelector('[data-testid=note]');
          const row = (id) => [...n.querySelectorAll('td[data-vec=' + id + ']')].map((td) => Number(td.textContent));
          return { sample: Number(n.querySelector('[data-sample]').dataset.sample), formula: n.querySelector('[data-testid=formula]').textContent,
                   delta: row('delta'), back: row('back'), fprime: row('fprime'), autograd: row('autograd') };
        })()`);
        const what = `layer ${note.layer}, sample ${sample}`;
        assert.strictEqual(shown.sample, sample, `${what}: the sample shown`);
        assert.strictEqual(shown.formula, note.formula, `${what}: the formula`);
        assertShown(shown.delta.map(String), r.delta.rows.flat(), `${what}: δ`);
        assertShown(shown.autograd.map(String), r.autograd.rows.flat(), `${what}: autograd's gradient`);
        const arriving = steps[k].grad_out.rows[sample];
        if (arriving)  // the step's preview holds the first 6 rows
          assertShown(shown.delta.slice(0, arriving.length).map(String), arriving.slice(0, shown.delta.length), `${what}: δ is the gradient arriving at z(l)`);
        if (note.kind === 'hidden')
          shown.delta.forEach((v, j) => {
            const product = shown.back[j] * shown.fprime[j];
            assert(Math.abs(product - v) <= 2e-3 * Math.abs(v) + 1e-12, `${what}: δ[${j}] = ${v} shown, W(l+1)ᵀδ(l+1) ⊙ f'(z) = ${product}`);
          });
      }
      await page.evaluate(`(() => { const s = document.getElementById('sample'); s.value = '0'; s.dispatchEvent(new Event('change')); })()`);
      if (k !== noted[noted.length - 1][0]) await page.press('Home');
    }  // the screenshot shows the first layer's boundary

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

    // Big tensors are previewed: no grid shows more than 6 × 6 numbers (a note's vectors 10).
    const widest = await page.evaluate(`Math.max(...[...document.querySelectorAll('table.grid tr')].map((tr) => tr.querySelectorAll('td[data-r]').length))`);
    assert(widest <= 10, `a grid shows ${widest} columns`);
    // The screenshot: the stepper, the graph and the boundary note together.
    await page.evaluate('document.querySelector("#step-counter").parentElement.scrollIntoView()');
  });
  console.log(`explorer ${name}: ${steps.length} steps, ${presses} key presses forward and 2 back checked, agreement table = text report`);
});
