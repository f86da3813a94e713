// A minimal Chrome DevTools Protocol client for the browser tests: starts Debian's headless chromium with
// --remote-debugging-pipe (JSON messages ending in NUL on file descriptors 3 and 4, no WebSocket, no npm
// package) and drives one page: load, evaluate, key presses, viewport, screenshots, console errors.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

/// The chromium binary: $CHROMIUM, else the first of Debian's names found on PATH.
function findChromium() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  throw new Error('cdp: no chromium found on PATH (scripts/install-deps installs Debian\'s chromium)');
}

class Browser {
  /// Starts chromium headless; `timeoutMs` bounds every protocol call.
  static async launch({ timeoutMs = 30000 } = {}) {
    const b = new Browser();
    b.timeoutMs = timeoutMs;
    b.profile = fs.mkdtempSync(path.join(os.tmpdir(), 'deltagrad-chromium-'));
    const args = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
      '--no-default-browser-check', '--disable-extensions', '--hide-scrollbars', '--mute-audio',
      '--remote-debugging-pipe', `--user-data-dir=${b.profile}`, 'about:blank'];
    b.proc = spawn(findChromium(), args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    b.stderr = '';
    b.proc.stderr.on('data', (d) => { b.stderr = (b.stderr + d).slice(-4000); });
    b.nextId = 1;
    b.pending = new Map();
    b.listeners = [];
    let buffer = Buffer.alloc(0);
    b.proc.stdio[4].on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      let end;
      while ((end = buffer.indexOf(0)) >= 0) {
        const msg = JSON.parse(buffer.subarray(0, end).toString('utf8'));
        buffer = buffer.subarray(end + 1);
        b.dispatch(msg);
      }
    });
    b.exited = new Promise((resolve) => b.proc.on('exit', resolve));
    b.proc.on('exit', (code) => {
      for (const { reject } of b.pending.values()) reject(new Error(`cdp: chromium exited (${code}): ${b.stderr}`));
      b.pending.clear();
    });
    await b.send('Target.getTargets');
    return b;
  }

  dispatch(msg) {
    if (msg.id !== undefined) {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.error) p.reject(new Error(`cdp: ${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result);
      return;
    }
    for (const l of this.listeners) if (l.method === msg.method && l.sessionId === msg.sessionId) l.fn(msg.params);
  }

  /// Sends one protocol command (to a page's session when sessionId is given) and resolves with its result.
  send(method, params = {}, sessionId = undefined) {
    const id = this.nextId++;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`cdp: ${method} timed out after ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer, method });
      this.proc.stdio[3].write(JSON.stringify(msg) + '\0');
    });
  }

  on(method, sessionId, fn) { this.listeners.push({ method, sessionId, fn }); }

  /// A new page (tab) with the events the tests check turned on.
  async newPage() {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(this, sessionId);
    for (const domain of ['Page', 'Runtime', 'Log', 'Network']) await page.send(`${domain}.enable`);
    return page;
  }

  async close() {
    try { await this.send('Browser.close'); } catch (e) { /* already gone */ }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}

class Page {
  constructor(browser, sessionId) {
    this.browser = browser;
    this.sessionId = sessionId;
    /// Every problem seen: console errors, uncaught exceptions, failed requests, requests that leave the file.
    this.problems = [];
    const on = (m, fn) => browser.on(m, sessionId, fn);
    on('Runtime.consoleAPICalled', (p) => {
      if (p.type === 'error' || p.type === 'assert')
        this.problems.push(`console.${p.type}: ${p.args.map((a) => a.value ?? a.description).join(' ')}`);
    });
    on('Runtime.exceptionThrown', (p) => {
      const d = p.exceptionDetails;
      this.problems.push(`exception: ${d.exception ? d.exception.description : d.text} (line ${d.lineNumber})`);
    });
    on('Log.entryAdded', (p) => { if (p.entry.level === 'error') this.problems.push(`log: ${p.entry.text}`); });
    on('Network.loadingFailed', (p) => this.problems.push(`request failed: ${p.errorText} (${p.requestId})`));
    on('Network.requestWillBeSent', (p) => {
      const u = p.request.url;
      if (!/^(file|data|blob|about):/.test(u)) this.problems.push(`request to the network: ${u}`);
    });
  }

  send(method, params = {}) { return this.browser.send(method, params, this.sessionId); }

  /// Sets the viewport (CSS pixels, device scale 1).
  viewport(width, height) {
    return this.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
  }

  /// Loads `url` and resolves once its load event fired.
  async goto(url) {
    const loaded = new Promise((resolve) => this.browser.on('Page.loadEventFired', this.sessionId, resolve));
    const r = await this.send('Page.navigate', { url });
    if (r.errorText) throw new Error(`cdp: cannot load ${url}: ${r.errorText}`);
    await loaded;
  }

  /// The value of a JavaScript expression in the page (JSON-serialisable results; promises awaited).
  async evaluate(expression) {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails)
      throw new Error(`cdp: evaluate: ${r.exceptionDetails.exception ? r.exceptionDetails.exception.description : r.exceptionDetails.text}`);
    return r.result.value;
  }

  /// Presses and releases one key ("ArrowRight", "ArrowLeft", "Home", "End", "Tab", "Enter") on the focused element.
  async press(key) {
    const codes = { ArrowLeft: 37, ArrowUp: 38, ArrowRight: 39, ArrowDown: 40, Home: 36, End: 35, Tab: 9, Enter: 13 };
    if (!(key in codes)) throw new Error(`cdp: press: no key code for ${key}`);
    const base = { key, code: key, windowsVirtualKeyCode: codes[key], nativeVirtualKeyCode: codes[key] };
    // Enter types a character, which is what activates a focused button.
    const down = key === 'Enter' ? { type: 'keyDown', text: '\r', unmodifiedText: '\r' } : { type: 'rawKeyDown' };
    await this.send('Input.dispatchKeyEvent', { ...down, ...base });
    await this.send('Input.dispatchKeyEvent', { type: 'keyUp', ...base });
  }

  /// Writes a PNG of the viewport (fullPage: the whole document) to `file`.
  async screenshot(file, { fullPage = false } = {}) {
    const params = { format: 'png' };
    if (fullPage) {
      const { cssContentSize } = await this.send('Page.getLayoutMetrics');
      params.clip = { x: 0, y: 0, width: cssContentSize.width, height: cssContentSize.height, scale: 1 };
      params.captureBeyondViewport = true;
    }
    const { data } = await this.send('Page.captureScreenshot', params);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.from(data, 'base64'));
  }
}

module.exports = { Browser, Page, findChromium };
