// Browser test of train's report.html: node report_test.js <out folder of a Fashion-MNIST train run> <train's log>
// <screenshot folder>. The page must show the run's final accuracy, a confusion matrix equal
// to confusion_matrix.csv that sums to the test set, only misclassified images (predictions.csv) drawn with the
// test set's own pixels and labels, the diagnostics of diagnostics.csv; at 1280×800 without horizontal scrolling.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { pageData, withPage, assertShown, run } = require('./check');

const [out, logFile, screenshots] = process.argv.slice(2);
const csv = (name) => fs.readFileSync(path.join(out, name), 'utf8').trim().split('\n').map((l) => l.split(','));

run(async () => {
  const log = fs.readFileSync(logFile, 'utf8').trim().split('\n');
  const accuracy = log[log.length - 1].match(/^test accuracy: (0\.\d{4})$/);
  assert(accuracy, `the log's last line is not "test accuracy: 0.XXXX": ${log[log.length - 1]}`);
  const testSize = Number(log.find((l) => l.startsWith('data: ')).match(/and (\d+) test samples/)[1]);
  const confusion = csv('confusion_matrix.csv');
  const names = confusion[0].slice(1);
  const predictions = new Map(csv('predictions.csv').slice(1).map(([i, t, p]) => [Number(i), [Number(t), Number(p)]]));
  const wrong = [...predictions.entries()].filter(([, [t, p]]) => t !== p).map(([i]) => i);

  // The test images as bytes (IDX: magic, count, rows, cols, then the pixels), from the run's --data-dir.
  const dataDir = pageData(path.join(out, 'report.html')).options.data_dir;
  const idx = zlib.gunzipSync(fs.readFileSync(path.join(dataDir, 't10k-images-idx3-ubyte.gz')));
  const rows = idx.readUInt32BE(8), cols = idx.readUInt32BE(12);
  const image = (i) => idx.subarray(16 + i * rows * cols, 16 + (i + 1) * rows * cols);

  await withPage(path.join(out, 'report.html'), screenshots, 'report', async (page) => {
    // The final accuracy is the run's last line.
    const shown = await page.evaluate('document.querySelector("[data-testid=final-accuracy]").textContent');
    assert.strictEqual(shown, accuracy[1], 'the final test accuracy shown');

    // The confusion matrix: the CSV's counts, cell by cell, summing to the test set.
    const cells = await page.evaluate(`[...document.querySelectorAll('#confusion td[data-count]')]
      .map((td) => [Number(td.dataset.true), Number(td.dataset.predicted), Number(td.textContent)])`);
    assert.strictEqual(cells.length, names.length * names.length, 'confusion cells');
    assert.strictEqual(cells.reduce((s, c) => s + c[2], 0), testSize, 'the confusion cells sum to the test set size');
    for (const [t, p, n] of cells) assert.strictEqual(n, Number(confusion[t + 1][p + 1]), `confusion cell [${t}][${p}]`);
    // Readable on its shade: every cell's text has a contrast of at least 4.5:1 (WCAG AA).
    const colours = await page.evaluate(`[...document.querySelectorAll('#confusion td[data-count]')].map((td) => {
      const s = getComputedStyle(td);
      return [s.color, s.backgroundColor].map((c) => c.match(/\\d+/g).slice(0, 3).map(Number));
    })`);
    const luminance = (c) => c.map((v) => (v / 255 <= 0.04045 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4))
      .reduce((s, v, i) => s + [0.2126, 0.7152, 0.0722][i] * v, 0);
    for (const [fg, bg] of colours) {
      const [a, b] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
      assert((a + 0.05) / (b + 0.05) >= 4.5, `confusion cell text ${fg} on ${bg}: contrast ${((a + 0.05) / (b + 0.05)).toFixed(2)}`);
    }

    // Misclassified images: each one the model got wrong, with its true and predicted class, drawn with its pixels.
    const figures = await page.evaluate(`[...document.querySelectorAll('#misclassified figure')].map((f) => {
      const c = f.querySelector('canvas');
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      return { index: Number(f.dataset.index), truth: f.querySelector('.true-label b').textContent,
               predicted: f.querySelector('.predicted-label b').textContent,
               pixels: Array.from({ length: c.width * c.height }, (_, k) => px[4 * k]) };
    })`);
    assert.strictEqual(figures.length, Math.min(40, wrong.length), 'misclassified images shown');
    assert.deepStrictEqual(figures.map((f) => f.index), wrong.slice(0, figures.length), 'the first mistakes in test order');
    for (const f of figures) {
      const [t, p] = predictions.get(f.index);
      assert.notStrictEqual(t, p, `image ${f.index} is shown as a mistake but was classified correctly`);
      assert.strictEqual(f.truth, names[t], `image ${f.index}: true label`);
      assert.strictEqual(f.predicted, names[p], `image ${f.index}: predicted label`);
      const bytes = image(f.index);
      const lo = Math.min(...bytes), hi = Math.max(...bytes);
      f.pixels.forEach((v, k) => {
        const expected = hi > lo ? ((bytes[k] - lo) / (hi - lo)) * 255 : 0;
        assert(Math.abs(v - expected) <= 1.01, `image ${f.index} pixel ${k}: drawn ${v}, the test set holds ${expected}`);
      });
    }

    // Diagnostics: the last epoch's |δ(l)| per layer, as diagnostics.csv has them.
    const diag = csv('diagnostics.csv');
    const lastEpoch = diag[diag.length - 1][0];
    const expected = diag.filter((r) => r[0] === lastEpoch).map((r) => Number(r[3]));
    const deltas = await page.evaluate(`[...document.querySelectorAll('#diagnostics td[data-col=delta_norm]')].map((td) => td.textContent)`);
    assertShown(deltas, expected, 'diagnostics |δ(l)|');

    // The loss, accuracy and learning-rate charts: one line per series and a point per epoch.
    const points = await page.evaluate('document.querySelectorAll("figure.chart")[0].querySelectorAll("circle").length');
    assert.strictEqual(points, 2 * Number(lastEpoch), 'the loss chart has a train and a test point per epoch');
  });
  console.log(`report: accuracy ${accuracy[1]}, ${testSize} test samples, the ${Math.min(40, wrong.length)} mistakes shown (of ${wrong.length}) checked against predictions.csv and the test images`);
});
