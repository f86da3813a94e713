// Shared by the browser tests: loading a page of ours in headless chromium at 1280×800, and the assertions every
// page must pass (no console errors, no failed or outgoing requests, no horizontal scrolling) and a screenshot.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { Browser } = require('./cdp');

/// The JSON a page of ours carries (<script type="application/json" id="page-data">), read from the file itself.
function pageData(htmlFile) {
  const html = fs.readFileSync(htmlFile, 'utf8');
  const m = html.match(/<script type="application\/json" id="page-data">([\s\S]*?)<\/script>/);
  assert(m, `${htmlFile}: no page-data script element`);
  return JSON.parse(m[1]);
}

/// Runs `body(page)` on `htmlFile` loaded at 1280×800, then checks what every page must satisfy and saves
/// `<screenshots>/<name>.png` (the viewport) and `<name>-full.png` (the whole page).
async function withPage(htmlFile, screenshots, name, body) {
  const browser = await Browser.launch();
  try {
    const page = await browser.newPage();
    await page.viewport(1280, 800);
    await page.goto('file://' + path.resolve(htmlFile));
    const drawn = await page.evaluate('document.getElementById("app").children.length');
    assert(drawn > 0, `the page drew nothing: ${page.problems.join('; ')}`);
    await body(page);
    const { scroll, width } = await page.evaluate(
      '({ scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth })');
    assert(scroll <= width, `the page scrolls horizontally at 1280×800: ${scroll} px wide in a ${width} px window`);
    assert.deepStrictEqual(page.problems, [], 'console errors or failed requests');
    await page.screenshot(path.join(screenshots, `${name}.png`));
    await page.screenshot(path.join(screenshots, `${name}-full.png`), { fullPage: true });
    console.log(`screenshots: ${path.join(screenshots, name)}.png, ${name}-full.png`);
  } finally {
    await browser.close();
  }
}

/// Numbers shown with 4 significant digits (DG.fmt) against the exact ones: within half a unit of the 4th digit.
function assertShown(shown, exact, what) {
  assert.strictEqual(shown.length, exact.length, `${what}: ${shown.length} numbers shown, ${exact.length} in the data`);
  shown.forEach((s, i) => {
    const v = Number(s), e = exact[i];
    assert(Number.isFinite(v), `${what}[${i}]: "${s}" is not a number`);
    assert(Math.abs(v - e) <= 5.01e-4 * Math.abs(e) + 1e-300, `${what}[${i}]: shown ${s}, the data holds ${e}`);
  });
}

/// Runs an async test function, printing the failure and exiting 1 on any error.
function run(main) {
  main().then(() => console.log('PASS'), (e) => { console.error(`FAIL: ${e.stack || e}`); process.exit(1); });
}

module.exports = { pageData, withPage, assertShown, run };
