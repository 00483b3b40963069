// End-to-end tests of the web console in headless Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core), against a running hub: node --test --test-reporter=spec console.e2e.mjs
//
// The hub and its credentials come from the environment (test/integration/
// test_16_console_browser.py sets them; bench/console/run.sh for the measurements only):
//   VERBUND_URL                 http://127.0.0.1:8086 (the console is at /console/)
//   VERBUND_MQTT_HOST/_PORT     the hub's MQTT listener (mosquitto_pub/_sub)
//   VERBUND_ACME_PLC_PASSWORD   acme/plc (a device), likewise VERBUND_BETA_PLC_PASSWORD
//   VERBUND_ACME_ANN_PASSWORD   acme/ann (acme's tenant admin)
//   VERBUND_ACME_TOKEN, VERBUND_BETA_TOKEN   ann's tokens (query, write, admin) of each tenant
//   VERBUND_OPERATOR_TOKEN      an operator's token; absent: an open demo hub ([http] auth =
//                               false), where only the measurements run
//   VERBUND_SCREENSHOTS         where the screenshots go (default: a temporary directory)
//   VERBUND_SOAK_MINUTES        how long the measurements watch the heap under live updates (0.5)
//
// Every test has its own browser context (its own cookies), waits on conditions with a deadline
// (never on fixed sleeps), asserts no timing, and fails on any console error, uncaught page
// error or Content-Security-Policy violation it did not expect. Measurements are printed as one
// line `MEASURE {...}` and never asserted.
//
// The test of a refused login is the last one: a refused login backs off its principal and
// address for a minute (the integration fixture's [security] login_backoff_ms).

import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { chromium } from 'playwright-core';

const env = process.env;
const BASE = (env.VERBUND_URL ?? 'http://127.0.0.1:8086').replace(/\/+$/, '');
const MQTT_HOST = env.VERBUND_MQTT_HOST ?? '127.0.0.1';
const MQTT_PORT = env.VERBUND_MQTT_PORT ?? '1883';
const ACME_PLC = ['acme/plc', env.VERBUND_ACME_PLC_PASSWORD ?? 'pw-acme'];
const BETA_PLC = ['beta/plc', env.VERBUND_BETA_PLC_PASSWORD ?? 'pw-beta'];
const ACME_ANN = ['acme/ann', env.VERBUND_ACME_ANN_PASSWORD ?? 'ann-acme'];
const ACME_TOKEN = env.VERBUND_ACME_TOKEN ?? '';
const BETA_TOKEN = env.VERBUND_BETA_TOKEN ?? '';
const OPERATOR_TOKEN = env.VERBUND_OPERATOR_TOKEN ?? '';
/** An open demo hub: no credentials were given. Only the measurements run there. */
const DEMO = !OPERATOR_TOKEN;
const NEEDS_AUTH = DEMO ? 'needs a hub with [http] auth = true and its credentials (VERBUND_OPERATOR_TOKEN ...)' : false;
const SHOTS = env.VERBUND_SCREENSHOTS || join(tmpdir(), 'verbund-console-screenshots');
const SOAK_MINUTES = Number(env.VERBUND_SOAK_MINUTES ?? '0.5');
/** How long any one condition may take to come true; generous: the machine is shared. */
const DEADLINE = Number(env.VERBUND_E2E_DEADLINE_MS ?? '20000');
const TEST_TIMEOUT = 180_000;
/** Unique per run: topics, client ids and measurements of one run never meet another's. */
const RUN = `${process.pid.toString(36)}${Date.now().toString(36)}`;

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // For the heap measurement: window.gc() and unrounded performance.memory.
  '--js-flags=--expose-gc',
  '--enable-precise-memory-info',
];

/** The session probe of a logged-out page is a 401: expected before every login. */
const PROBE_401 = { status: 401, path: '/api/v1/session' };

let browser;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: env.VERBUND_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  console.log(`# console at ${BASE}/console/, screenshots in ${SHOTS}, run ${RUN}`);
});

after(async () => {
  await browser?.close();
});

// ---------------------------------------------------------------- waiting

/** Polls `fn` until it returns something truthy; fails after `timeout` ms naming `what`. */
async function until(what, fn, timeout = DEADLINE) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      const why = last instanceof Error ? `: ${last.message}` : `; last value ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${why}`);
    }
    await delay(100);
  }
}

/** Waits until the locator's text matches `re`; returns the text. */
async function waitText(locator, re, what = String(re)) {
  let text = null;
  try {
    return await until(`text ${what} in ${locator}`, async () => {
      text = (await locator.textContent({ timeout: DEADLINE })) ?? '';
      return re.test(text) ? text : false;
    });
  } catch (e) {
    e.message += ` (its text: ${JSON.stringify(text)})`;
    throw e;
  }
}

function withDeadline(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------- processes

const running = new Set();

/** A child process with its output collected; `exited` resolves to {code, signal, stdout, stderr}. */
function start(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const p = { child, stdout: '', stderr: '', cmd: `${cmd} ${args.join(' ')}` };
  child.stdout.setEncoding('utf8').on('data', (d) => (p.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (p.stderr += d));
  p.exited = new Promise((resolve) => {
    let done = false;
    const finish = (code, signal) => {
      if (done) return;
      done = true;
      running.delete(p);
      resolve({ code, signal, stdout: p.stdout, stderr: p.stderr });
    };
    child.on('error', (e) => {
      p.stderr += String(e);
      finish(-1, null);
    });
    child.on('close', finish);
  });
  p.alive = () => child.exitCode === null && child.signalCode === null;
  p.stop = () => {
    if (p.alive()) child.kill('SIGTERM');
    return p.exited;
  };
  running.add(p);
  return p;
}

/** Ends what a test left running (its publishers, subscribers) when the test ends. */
function stopAllAfter(t) {
  t.after(async () => {
    await Promise.all([...running].map((p) => p.stop()));
  });
}

function mqttConn([user, password] = []) {
  const a = ['-h', MQTT_HOST, '-p', String(MQTT_PORT)];
  if (user) a.push('-u', user, '-P', password);
  return a;
}

let clients = 0;
const clientId = (what) => `e2e-${what}-${RUN}-${++clients}`;

async function mqttPub(who, topic, message) {
  const r = await withDeadline(
    start('mosquitto_pub', [...mqttConn(who), '-q', '1', '-t', topic, '-m', message, '-i', clientId('pub')]).exited,
    60_000,
    `mosquitto_pub to ${topic}`,
  );
  assert.equal(r.code, 0, `mosquitto_pub -t ${topic} as ${who?.[0]}: ${r.stderr}`);
}

/** mosquitto_pub once per message, a few a second, until stop(). */
function publishLoop(who, topic, payload, pauseMs = 250) {
  let stopped = false;
  const state = { sent: 0, failures: [] };
  const done = (async () => {
    for (let n = 0; !stopped; n++) {
      const p = start('mosquitto_pub', [...mqttConn(who), '-q', '1', '-t', topic, '-m', payload(n), '-i', clientId('loop')]);
      const r = await p.exited;
      if (r.code === 0) state.sent++;
      else state.failures.push(r.stderr.trim() || `exit ${r.code}`);
      if (!stopped) await delay(pauseMs); // the publisher's pace, not a synchronisation
    }
  })();
  state.stop = async () => {
    stopped = true;
    await done;
  };
  return state;
}

// ---------------------------------------------------------------- HTTP from the test

async function http(method, path, { token, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Token ${token}`;
  const res = await fetch(BASE + path, { method, headers: h, body });
  return { status: res.status, text: await res.text() };
}

function queryPath(q, db) {
  const u = new URLSearchParams({ q, epoch: 'ms' });
  if (db) u.set('db', db);
  return `/query?${u}`;
}

/** InfluxQL over GET /query (POST for statements that change something); statement errors fail. */
async function influx(q, { db, token, post = false } = {}) {
  const r = await http(post ? 'POST' : 'GET', queryPath(q, db), { token });
  assert.equal(r.status, 200, `${q}: HTTP ${r.status} ${r.text}`);
  const j = JSON.parse(r.text);
  for (const s of j.results ?? []) assert.ok(!s.error, `${q}: ${s.error}`);
  return j;
}

async function writeLines(db, lines, token) {
  const r = await http('POST', `/write?db=${encodeURIComponent(db)}&precision=ms`, { token, body: lines.join('\n') + '\n' });
  assert.equal(r.status, 204, `write into ${db}: HTTP ${r.status} ${r.text}`);
}

/** The tenant's database, made if missing (CREATE DATABASE is idempotent). */
async function ensureDb(db, token) {
  await influx(`CREATE DATABASE "${db}"`, { token, post: true });
}

// ---------------------------------------------------------------- pages

// Runs in every page before its own scripts: CSP violations reported to the test, and the
// moment the first overview chart is drawn (for the measurements).
function initScript() {
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__verbundReport?.(`CSP violation: ${e.violatedDirective} refused ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
  });
  window.__verbundFirstDraw = null;
  new MutationObserver((mutations) => {
    if (window.__verbundFirstDraw) return;
    for (const m of mutations) {
      const el = m.target;
      if (el.closest && el.closest('[data-testid="overview-chart"]') && el.hasAttribute('data-draw-ms')) {
        window.__verbundFirstDraw = { at: performance.now(), drawMs: Number(el.getAttribute('data-draw-ms')) };
        return;
      }
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-draw-ms'] });
}

/**
 * A fresh context and page. `allow`: failed loads the test expects ({status, path}); any other
 * console error, page error or CSP violation is a problem that fails the test at its end.
 */
async function openPage(t, { colorScheme = 'light', allow = [] } = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme, acceptDownloads: true });
  ctx.setDefaultTimeout(DEADLINE);
  const problems = [];
  await ctx.exposeBinding('__verbundReport', (_source, what) => problems.push(String(what)));
  await ctx.addInitScript(initScript);
  const page = await ctx.newPage();
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const url = msg.location()?.url ?? '';
    let path = '';
    try {
      path = new URL(url).pathname;
    } catch {
      /* no URL */
    }
    const m = /Failed to load resource: the server responded with a status of (\d+)/.exec(text);
    if (m && allow.some((a) => a.status === Number(m[1]) && (a.path instanceof RegExp ? a.path.test(path) : a.path === path))) return;
    problems.push(`console error: ${text} (${url})`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.stack ?? e}`));
  t.after(() => ctx.close());
  return { ctx, page, problems };
}

function assertClean(...pages) {
  const all = pages.flatMap((p) => p.problems);
  assert.deepEqual(all, [], 'console errors, page errors or CSP violations');
}

async function settle(page) {
  // Two animation frames: layout, ResizeObserver (chart widths) and paint have happened.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** Full-page screenshots at 1280x800 and at phone size: <name>-1280.png, <name>-phone.png. */
async function shoot(page, name) {
  const vp = page.viewportSize();
  // From the top: a page scrolled by a click would put the sticky top bar mid-picture.
  await page.evaluate(() => window.scrollTo(0, 0));
  for (const [suffix, size] of [
    ['1280', { width: 1280, height: 800 }],
    ['phone', { width: 390, height: 844 }],
  ]) {
    await page.setViewportSize(size);
    await settle(page);
    await page.screenshot({ path: join(SHOTS, `${name}-${suffix}.png`), fullPage: true });
  }
  await page.setViewportSize(vp);
  await settle(page);
}

async function gotoConsole(page) {
  await page.goto(BASE + '/');
  assert.match(page.url(), /\/console\/(#.*)?$/, 'the hub redirects / to the console');
}

async function loginForm(page, [user, password]) {
  await gotoConsole(page);
  await page.getByTestId('login-form').waitFor();
  await page.getByTestId('login-username').fill(user);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

async function loginAnn(page) {
  await loginForm(page, ACME_ANN);
  await waitText(page.getByTestId('who'), /^acme\/ann\b/);
}

async function loginTokenForm(page, token) {
  await gotoConsole(page);
  await page.getByTestId('login-form').waitFor();
  await page.getByTestId('login-mode-token').click();
  await page.getByTestId('login-token').fill(token);
  await page.getByTestId('login-submit').click();
}

/** A session cookie for the context without the login page (the context's request API shares its cookies). */
async function loginByApi(ctx, creds) {
  const r = await ctx.request.post(BASE + '/api/v1/session', { data: creds });
  assert.equal(r.status(), 200, `login: ${await r.text()}`);
}

async function nav(page, id) {
  await page.getByTestId(`nav-${id}`).click();
  await page.waitForURL(new RegExp(`#/${id}$`));
}

/** fetch() inside the page: same origin, the session cookie sent, no CSRF header unless given. */
function pageFetch(page, path, init = {}) {
  return page.evaluate(
    async ([path, init]) => {
      const res = await fetch(path, { credentials: 'same-origin', ...init });
      return { status: res.status, text: await res.text() };
    },
    [path, init],
  );
}

function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else if (c !== '\r') field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

// ---------------------------------------------------------------- a. login, overview

test('a. password login through the form, who am I, the overview moves while a publisher runs', { skip: NEEDS_AUTH, timeout: TEST_TIMEOUT }, async (t) => {
  stopAllAfter(t);
  const light = await openPage(t, { allow: [PROBE_401] });
  const { page } = light;
  await gotoConsole(page);
  await page.getByTestId('login-form').waitFor();
  await shoot(page, 'login');
  await page.getByTestId('login-username').fill(ACME_ANN[0]);
  await page.getByTestId('login-password').fill(ACME_ANN[1]);
  await page.getByTestId('login-submit').click();

  const who = await waitText(page.getByTestId('who'), /^acme\/ann\b/);
  assert.match(who, /tenant admin/);
  const me = JSON.parse((await pageFetch(page, '/api/v1/session')).text);
  assert.equal(me.tenant, 'acme');
  assert.equal(me.principal, 'ann');
  assert.equal(me.tenant_admin, true);
  assert.equal(me.operator, false);
  await page.waitForURL(/#\/overview$/);
  await waitText(page.getByTestId('stream-state'), /^live$/);
  await page.getByText('Figures of tenant acme').waitFor();

  const tile = page.getByTestId('stat-series');
  await tile.waitFor();
  const seriesBefore = Number(await tile.getAttribute('data-value'));
  const chart = page.getByTestId('overview-chart-series').locator('.chart');
  await until('the series chart drawn', async () => (await chart.getAttribute('data-points')) !== null);
  const pointsBefore = Number(await chart.getAttribute('data-points'));

  const topic = `factory/line1/press${RUN}`;
  const pub = publishLoop(ACME_PLC, topic, (n) => `{"temperature": ${20 + (n % 10)}}`);
  t.after(() => pub.stop());
  const seriesAfter = await until(
    'the series tile to change while the publisher runs',
    async () => {
      if (pub.failures.length) throw new Error(`mosquitto_pub failed: ${pub.failures[0]}`);
      const v = Number(await tile.getAttribute('data-value'));
      return v !== seriesBefore ? v : false;
    },
    DEADLINE * 2,
  );
  assert.ok(seriesAfter > seriesBefore, `series ${seriesBefore} -> ${seriesAfter}`);
  assert.match((await tile.textContent()) ?? '', new RegExp(`${seriesAfter}$`), 'the tile shows its value');
  // The chart moves: new points arrive every second.
  await until('the series chart to get new points', async () => Number(await chart.getAttribute('data-points')) >= pointsBefore + 2);
  await pub.stop();
  assert.ok(pub.sent > 0 && pub.failures.length === 0, JSON.stringify(pub));
  // The readings the publisher sent are in acme's database.
  const r = await influx(`SELECT count("temperature") FROM "factory" WHERE "machine" = 'press${RUN}'`, { db: 'acme', token: ACME_TOKEN });
  assert.ok(r.results[0].series?.[0]?.values?.[0]?.[1] > 0, JSON.stringify(r));
  await shoot(page, 'overview');

  // The phone layout's menu.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByTestId('menu-toggle').click();
  await until('the menu open', async () => /\bopen\b/.test((await page.locator('#nav').getAttribute('class')) ?? ''));
  await settle(page);
  await page.screenshot({ path: join(SHOTS, 'menu-phone.png'), fullPage: true });
  await page.getByTestId('nav-overview').click();
  await page.setViewportSize({ width: 1280, height: 800 });

  // Dark mode: the same overview with the dark palette.
  const dark = await openPage(t, { colorScheme: 'dark', allow: [PROBE_401] });
  await loginAnn(dark.page);
  await waitText(dark.page.getByTestId('stream-state'), /^live$/);
  const darkChart = dark.page.getByTestId('overview-chart-series').locator('.chart');
  await until('a few points in the dark chart', async () => Number(await darkChart.getAttribute('data-points')) >= 3);
  const bg = await dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(15, 18, 23)', 'the dark palette is applied');
  await shoot(dark.page, 'overview-dark');
  assertClean(light, dark);
});

// ---------------------------------------------------------------- b. explorer

async function explorerPlot(page, db, measurement, field) {
  await nav(page, 'explorer');
  await page.locator(`[data-testid="explorer-db"] option[value="${db}"]`).waitFor({ state: 'attached' });
  await page.getByTestId('explorer-db').selectOption(db);
  await page.locator(`[data-testid="explorer-measurement"][data-name="${measurement}"]`).click();
  await page.locator(`[data-testid="explorer-field"] option[value="${field}"]`).waitFor({ state: 'attached' });
  await page.getByTestId('explorer-field').selectOption(field);
}

test('b. the explorer plots a series written over /write with the values /query returns', { skip: NEEDS_AUTH, timeout: TEST_TIMEOUT }, async (t) => {
  const db = 'acme';
  const measurement = `plot_e2e_${RUN}`;
  await ensureDb(db, ACME_TOKEN);
  // 50 points a minute apart inside the explorer's default range (the last hour).
  const t0 = Math.floor(Date.now() / 1000) * 1000 - 51 * 60_000;
  const written = Array.from({ length: 50 }, (_, i) => [t0 + i * 60_000, Math.round(1000 * Math.sin(i / 3)) / 100 + i * 0.5 - 7.25]);
  await writeLines(db, written.map(([ts, v]) => `${measurement},line=l1 value=${v} ${ts}`), ACME_TOKEN);

  const pg = await openPage(t, { allow: [PROBE_401] });
  const { page } = pg;
  await loginAnn(page);
  await explorerPlot(page, db, measurement, 'value');
  await page.getByTestId('explorer-add-series').click();
  const chart = page.getByTestId('explorer-chart');
  await waitText(page.getByTestId('chart-mode'), /^raw values · 50 values/);
  await until('50 points in the chart', async () => (await chart.getAttribute('data-points')) === '50');
  assert.ok(Number(await chart.getAttribute('data-draw-ms')) >= 0);
  assert.equal(await page.getByTestId('explorer-selection').count(), 1);

  // The same InfluxQL over /query with the token.
  const q = await page.getByTestId('query-text').inputValue();
  assert.match(q, new RegExp(`^SELECT "value" FROM "${measurement}" WHERE time >= \\d+ms AND time < \\d+ms GROUP BY \\* LIMIT 2001$`));
  const answer = await influx(q, { db, token: ACME_TOKEN });
  const series = answer.results[0].series;
  assert.equal(series.length, 1, JSON.stringify(answer));
  assert.deepEqual(series[0].columns, ['time', 'value']);
  assert.deepEqual(series[0].tags, { line: 'l1' });
  assert.deepEqual(series[0].values, written, '/query returns what was written');

  // What the chart was given, from its CSV download (made in the page from the same answer).
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv-download').click()]);
  assert.equal(download.suggestedFilename(), `verbund-${db}.csv`);
  const csv = parseCsv(readFileSync(await download.path(), 'utf8'));
  assert.deepEqual(csv[0], ['name', 'line', 'time', 'value']);
  const rows = csv.slice(1);
  assert.equal(rows.length, 50);
  for (const r of rows) {
    assert.equal(r[0], measurement);
    assert.equal(r[1], 'l1');
  }
  assert.deepEqual(
    rows.map((r) => [Date.parse(r[2]), Number(r[3])]),
    series[0].values,
    'the chart has exactly the values of /query',
  );
  await shoot(page, 'explorer');

  const dark = await openPage(t, { colorScheme: 'dark', allow: [PROBE_401] });
  await loginAnn(dark.page);
  await explorerPlot(dark.page, db, measurement, 'value');
  await dark.page.getByTestId('explorer-add-series').click();
  await until('50 points in the dark chart', async () => (await dark.page.getByTestId('explorer-chart').getAttribute('data-points')) === '50');
  await shoot(dark.page, 'explorer-dark');
  assertClean(pg, dark);
});

// ---------------------------------------------------------------- c. live topics

async function sessionsOf(token) {
  const r = await http('GET', '/api/v1/admin/sessions', { token });
  assert.equal(r.status, 200, r.text);
  return JSON.parse(r.text).sessions;
}

test('c. live topics: publish from the console to mosquitto_sub, watch a filter and see mosquitto_pub messages', { skip: NEEDS_AUTH, timeout: TEST_TIMEOUT }, async (t) => {
  stopAllAfter(t);
  const pg = await openPage(t, { allow: [PROBE_401] });
  const { page } = pg;
  await loginAnn(page);
  await nav(page, 'topics');

  // Publish: mosquitto_sub is subscribed (the admin API lists its subscription) before the click.
  const topic = `console/e2e/${RUN}/pub`;
  const payload = `hello from the console ${RUN} ✓ {"x": 1}`;
  const subId = clientId('sub');
  const sub = start('mosquitto_sub', [...mqttConn(ACME_PLC), '-t', topic, '-v', '-C', '1', '-W', '30', '-i', subId]);
  await until('mosquitto_sub subscribed', async () => {
    if (!sub.alive()) throw new Error(`mosquitto_sub exited: ${sub.stderr}`);
    return (await sessionsOf(ACME_TOKEN)).some((s) => s.client_id === subId && s.subscriptions >= 1);
  });
  await page.getByTestId('publish-topic').fill(topic);
  await page.getByTestId('publish-payload').fill(payload);
  await page.getByTestId('publish-qos').selectOption('1');
  await page.getByTestId('publish-submit').click();
  await waitText(page.getByTestId('publish-ok'), new RegExp(`published to ${topic}`));
  const got = await withDeadline(sub.exited, 40_000, 'mosquitto_sub to receive the message');
  assert.equal(got.code, 0, `mosquitto_sub: ${got.stderr}`);
  assert.equal(got.stdout, `${topic} ${payload}\n`);

  // Watch a filter; a message outside it stays out of the list, one inside appears.
  const base = `e2e/${RUN}/watch`;
  await page.getByTestId('topic-filter').fill(`${base}/#`);
  await page.getByTestId('topic-subscribe').click();
  await waitText(page.getByTestId('topics-state'), /^live$/);
  await mqttPub(ACME_PLC, `e2e/${RUN}/elsewhere`, 'not watched');
  const watchedPayload = `{"watched": "${RUN}"}`;
  await mqttPub(ACME_PLC, `${base}/line1`, watchedPayload);
  const row = page.locator(`[data-testid="topic-message"][data-topic="${base}/line1"]`);
  await row.waitFor();
  assert.equal(await row.locator('td.payload').textContent(), watchedPayload);
  assert.equal((await row.locator('td').nth(2).textContent())?.trim(), '1', 'QoS 1');
  assert.equal(await page.getByTestId('topic-message').count(), 1, 'only the watched topic is listed');
  await waitText(page.getByTestId('topic-count'), /^1 shown$/);
  await shoot(page, 'topics');
  assertClean(pg);
});

// ---------------------------------------------------------------- d. clients

test('d. clients: kick a connected mosquitto_sub', { skip: NEEDS_AUTH, timeout: TEST_TIMEOUT }, async (t) => {
  stopAllAfter(t);
  // MQTT 5: the client takes the hub's DISCONNECT (0x98) as final. (A 3.1.1 mosquitto_sub only
  // sees its connection closed and reconnects at once.)
  const id = clientId('kick');
  const sub = start('mosquitto_sub', [...mqttConn(ACME_PLC), '-V', 'mqttv5', '-t', `kick/${RUN}/#`, '-i', id]);
  const pg = await openPage(t, { allow: [PROBE_401] });
  const { page } = pg;
  await loginAnn(page);
  await nav(page, 'clients');
  const row = page.locator(`[data-testid="client-row"][data-client-id="${id}"]`);
  await until('the client listed', async () => {
    if (!sub.alive()) throw new Error(`mosquitto_sub exited: ${sub.stderr}`);
    return (await row.count()) === 1;
  });
  assert.equal(await row.getAttribute('data-tenant'), 'acme');
  assert.equal((await row.locator('td').nth(2).textContent())?.trim(), 'plc');
  await shoot(page, 'clients');
  // On a phone the table scrolls sideways; Kick stays on screen without scrolling.
  await page.setViewportSize({ width: 390, height: 844 });
  await settle(page);
  const box = await row.getByTestId('kick').boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `Kick on a phone screen: ${JSON.stringify(box)}`);
  await row.getByTestId('kick').click();
  await row.getByTestId('kick-confirm').click();
  await page.setViewportSize({ width: 1280, height: 800 });
  const exit = await withDeadline(sub.exited, DEADLINE, 'mosquitto_sub to exit after the kick');
  assert.notEqual(exit.code, null, `mosquitto_sub ended by a signal: ${JSON.stringify(exit)}`);
  await waitText(page.getByTestId('clients-notice'), new RegExp(`disconnected ${id} \\(1 connection\\)`));
  await row.waitFor({ state: 'detached' });
  assert.ok(!(await sessionsOf(ACME_TOKEN)).some((s) => s.client_id === id), 'the hub no longer lists it');
  assertClean(pg);
});

// ---------------------------------------------------------------- e. tokens

test('e. security: issue a query token (secret shown once), it works; revoke it, it is refused', { skip: NEEDS_AUTH, timeout: TEST_TIMEOUT }, async (t) => {
  const pg = await openPage(t, { allow: [PROBE_401] });
  const { page } = pg;
  await loginAnn(page);
  await nav(page, 'security');
  await page.locator('[data-testid="principal-row"][data-name="plc"]').waitFor();
  const tokenRows = page.getByTestId('token-row');
  const before = await tokenRows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-token-id')));

  await page.getByTestId('token-principal').selectOption('plc');
  for (const right of ['publish', 'subscribe', 'write', 'query', 'admin']) {
    await page.getByTestId(`token-rights-${right}`).setChecked(right === 'query');
  }
  await page.getByTestId('token-issue').click();
  const banner = page.getByTestId('token-new');
  await banner.waitFor();
  const secret = await page.getByTestId('token-secret').inputValue();
  assert.match(secret, /^vbt_/);
  const id = (await banner.locator('.mono').first().textContent())?.trim();
  assert.ok(id && !before.includes(id), `a new token id: ${id}`);
  const row = page.locator(`[data-testid="token-row"][data-token-id="${id}"]`);
  await row.waitFor();
  assert.equal((await row.locator('td').nth(1).textContent())?.trim(), 'plc');
  assert.equal((await row.locator('td').nth(2).textContent())?.trim(), 'query');
  await shoot(page, 'security');

  let r = await http('GET', '/query?q=SHOW%20DATABASES', { token: secret });
  assert.equal(r.status, 200, `the new token queries: ${r.text}`);

  // Shown once: gone after "Done", and neither a reloaded page nor the API has it.
  await page.getByTestId('token-dismiss').click();
  await banner.waitFor({ state: 'detached' });
  await page.reload();
  await row.waitFor();
  const inPage = await page.evaluate(
    (s) => document.documentElement.outerHTML.includes(s) || [...document.querySelectorAll('input, textarea')].some((e) => e.value.includes(s)),
    secret,
  );
  assert.equal(inPage, false, 'the secret is not shown again');
  const listed = await pageFetch(page, '/api/v1/admin/tenants/acme/tokens');
  assert.equal(listed.status, 200);
  assert.ok(listed.text.includes(id) && !listed.text.includes(secret.slice(4)), 'the token list has no secrets');

  await row.getByTestId('token-revoke').click();
  await row.getByTestId('token-revoke-confirm').click();
  await row.waitFor({ state: 'detached' });
  r = await http('GET', '/query?q=SHOW%20DATABASES', { token: secret });
  assert.equal(r.status, 401, `the revoked token is refused: ${r.text}`);
  assertClean(pg);
});

// ---------------------------------------------------------------- g. tenant isolation

test('g. tenant isolation: acme/ann in the browser reads nothing of beta by URL or API', { skip: NEEDS_AUTH, timeout: TEST_TIMEOUT }, async (t) => {
  stopAllAfter(t);
  // beta's data exists and beta can read it.
  const secretValue = 4242.4242;
  await ensureDb('beta', BETA_TOKEN);
  await writeLines('beta', [`m,site=b value=${secretValue} ${Date.now() - 1000}`], BETA_TOKEN);
  const own = await influx('SELECT * FROM m', { db: 'beta', token: BETA_TOKEN });
  assert.ok(JSON.stringify(own).includes(String(secretValue)), 'beta reads its own row');

  const pg = await openPage(t, {
    allow: [
      PROBE_401,
      { status: 403, path: /^\/(query|write|api\/v1\/admin\/.*|api\/v1\/publish)$/ },
    ],
  });
  const { page } = pg;
  await loginAnn(page);

  // InfluxQL with another tenant's database, edited by hand.
  for (const q of ['SELECT * FROM m', 'SHOW MEASUREMENTS', 'SHOW SERIES']) {
    const r = await pageFetch(page, queryPath(q, 'beta'));
    assert.ok(r.status === 403 || (r.status === 200 && /"error"/.test(r.text)), `${q} on beta: HTTP ${r.status} ${r.text}`);
    assert.ok(!r.text.includes('4242') && !r.text.includes('site'), `${q}: nothing of beta: ${r.text}`);
  }
  const dbs = await pageFetch(page, queryPath('SHOW DATABASES'));
  assert.equal(dbs.status, 200);
  assert.ok(!dbs.text.includes('beta'), `SHOW DATABASES: ${dbs.text}`);
  for (const path of ['/api/v1/admin/tenants/beta/principals', '/api/v1/admin/tenants/beta/tokens', '/api/v1/admin/tenants/beta/rules', '/api/v1/admin/tenants/beta/sessions', '/api/v1/admin/tenants']) {
    const r = await pageFetch(page, path);
    assert.equal(r.status, 403, `${path}: ${r.text}`);
  }
  const sessions = JSON.parse((await pageFetch(page, '/api/v1/admin/sessions')).text).sessions;
  assert.ok(sessions.every((s) => s.tenant === 'acme'), JSON.stringify(sessions));

  // The live topics stream of '#' sees acme's messages only.
  await page.evaluate(() => {
    window.__watched = [];
    window.__watchOpen = false;
    const es = new EventSource('/api/v1/console/topics?filter=%23');
    es.addEventListener('open', () => (window.__watchOpen = true));
    es.addEventListener('message', (e) => window.__watched.push(JSON.parse(e.data)));
    window.__watch = es;
  });
  await until('the topics stream open', () => page.evaluate(() => window.__watchOpen));
  await mqttPub(BETA_PLC, `iso/${RUN}`, `beta-secret-${RUN}`);
  await mqttPub(ACME_PLC, `iso/${RUN}`, `acme-${RUN}`);
  const watched = await until('acme\'s message on the stream', async () => {
    const w = await page.evaluate(() => window.__watched);
    return w.some((m) => m.payload === `acme-${RUN}`) ? w : false;
  });
  await page.evaluate(() => window.__watch.close());
  assert.ok(!watched.some((m) => m.payload.includes('beta-secret') || m.topic.startsWith('beta/')), JSON.stringify(watched));
  assert.ok(watched.some((m) => m.topic === `iso/${RUN}` && m.payload === `acme-${RUN}`));

  // The security view by URL: acme only, and every admin request it makes is acme's.
  const adminPaths = [];
  page.on('request', (req) => {
    const p = new URL(req.url()).pathname;
    if (p.startsWith('/api/v1/admin/')) adminPaths.push(p);
  });
  await page.goto(`${BASE}/console/#/security`);
  await page.getByTestId('view-security').waitFor();
  await page.locator('[data-testid="principal-row"][data-name="ann"]').waitFor();
  await page.getByText('tenant acme', { exact: true }).waitFor();
  assert.equal(await page.getByTestId('security-tenant').count(), 0, 'no tenant picker for a tenant admin');
  await page.getByTestId('quotas').getByText('set and shown by operators').waitFor();
  assert.ok(adminPaths.length > 0 && adminPaths.every((p) => p.startsWith('/api/v1/admin/tenants/acme/')), adminPaths.join(' '));
  await shoot(page, 'security-tenant-admin');

  // Changes without the X-CSRF-Token header are refused, and nothing happens.
  const json = { 'Content-Type': 'application/json' };
  let r = await pageFetch(page, '/api/v1/admin/tenants/acme/principals', { method: 'POST', headers: json, body: JSON.stringify({ name: `csrf${RUN}`, kind: 'device' }) });
  assert.equal(r.status, 403, r.text);
  assert.match(r.text, /csrf/i);
  r = await pageFetch(page, '/write?db=acme', { method: 'POST', body: `csrf_probe value=1 ${Date.now()}000000` });
  assert.equal(r.status, 403, r.text);
  r = await pageFetch(page, '/api/v1/publish', { method: 'POST', headers: json, body: JSON.stringify({ topic: `iso/${RUN}/csrf`, payload: 'x' }) });
  assert.equal(r.status, 403, r.text);
  const principals = await pageFetch(page, '/api/v1/admin/tenants/acme/principals');
  assert.ok(!principals.text.includes(`csrf${RUN}`), 'no principal was created');
  const probe = await influx('SHOW MEASUREMENTS', { db: 'acme', token: ACME_TOKEN });
  assert.ok(!JSON.stringify(probe).includes('csrf_probe'), 'nothing was written');
  // With the session's token the same request goes through: it was the header that was missing.
  const csrf = JSON.parse((await pageFetch(page, '/api/v1/session')).text).csrf_token;
  r = await pageFetch(page, '/api/v1/publish', { method: 'POST', headers: { ...json, 'X-CSRF-Token': csrf }, body: JSON.stringify({ topic: `iso/${RUN}/csrf`, payload: 'x' }) });
  assert.equal(r.status, 200, r.text);
  assertClean(pg);
});

// ---------------------------------------------------------------- h. measurements

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const round1 = (x) => (x === null || x === undefined ? null : Math.round(x * 10) / 10);

async function heapAfterGc(page) {
  return page.evaluate(async () => {
    window.gc();
    await new Promise((r) => setTimeout(r, 0));
    window.gc();
    return performance.memory.usedJSHeapSize;
  });
}

/** Records when the explorer chart next gets data after a click on `clickTestid`. */
async function armDrawTimer(page, clickTestid) {
  await page.evaluate((clickTestid) => {
    const el = document.querySelector('[data-testid="explorer-chart"]');
    const t = { click: null, draws: [] };
    window.__drawTimer = t;
    document.querySelector(`[data-testid="${clickTestid}"]`).addEventListener('click', () => (t.click = performance.now()), { capture: true, once: true });
    const mo = new MutationObserver(() => {
      if (t.click === null) return;
      t.draws.push({ at: performance.now(), points: Number(el.getAttribute('data-points')), drawMs: Number(el.getAttribute('data-draw-ms')) });
    });
    mo.observe(el, { attributes: true, attributeFilter: ['data-points'] });
  }, clickTestid);
}

/** The first draw after the click with at least `min` points. */
async function drawTimerResult(page, min) {
  return until(`the explorer chart drawn with ${min}+ points`, () =>
    page.evaluate((min) => {
      const t = window.__drawTimer;
      const d = t.draws.find((x) => x.points >= min);
      return d ? { click_to_draw_ms: Math.round((d.at - t.click) * 10) / 10, draw_ms: d.drawMs, points: d.points } : null;
    }, min),
  );
}

test('h. measurements: first overview draw, frame times, heap under live updates, a 100,000-point explorer series', { timeout: SOAK_MINUTES * 60_000 + 600_000 }, async (t) => {
  stopAllAfter(t);
  const m = { demo: DEMO, soak_minutes: SOAK_MINUTES };

  // The overview of the whole hub (an operator, or anyone on the open demo hub), loaded directly.
  const ov = await openPage(t);
  if (!DEMO) await loginByApi(ov.ctx, { token: OPERATOR_TOKEN });
  await ov.page.goto(`${BASE}/console/#/overview`);
  await ov.page.getByTestId('view-overview').waitFor();
  const first = await until('the first overview chart drawn', () => ov.page.evaluate(() => window.__verbundFirstDraw));
  m.first_overview_chart_ms = round1(first.at);
  m.first_overview_chart_setdata_ms = first.drawMs;
  const nav0 = await ov.page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    return n ? { dom_content_loaded_ms: n.domContentLoadedEventEnd, load_ms: n.loadEventEnd } : {};
  });
  Object.assign(m, Object.fromEntries(Object.entries(nav0).map(([k, v]) => [k, round1(v)])));

  // 10 live series, one update a second each: ten mosquitto_pub -l, a line a second. Topics fit
  // the ingest template: factory/{line}/{machine} in the integration fixture,
  // factory/{site}/{line}/{machine} on the demo hub (etc/verbund-demo.toml).
  const who = DEMO ? undefined : ACME_PLC;
  const liveTopic = (k) => (DEMO ? `factory/bench/line${k}/m${RUN}` : `factory/line${k}/bench${RUN}`);
  const pubs = Array.from({ length: 10 }, (_, k) => start('mosquitto_pub', [...mqttConn(who), '-l', '-t', liveTopic(k), '-i', clientId(`live${k}`)]));
  let tick = 0;
  const feeder = setInterval(() => {
    tick++;
    for (const [k, p] of pubs.entries()) if (p.alive()) p.child.stdin.write(`{"temperature": ${(20 + k + Math.sin(tick / 10)).toFixed(3)}}\n`);
  }, 1000);
  t.after(() => clearInterval(feeder));
  await waitText(ov.page.getByTestId('stream-state'), /^live$/);
  m.overview_chart_lines = await ov.page.evaluate(() => document.querySelectorAll('[data-testid="overview-chart"] .u-series').length - document.querySelectorAll('[data-testid="overview-chart"] .chart').length);
  m.heap_start_bytes = await heapAfterGc(ov.page);

  // Frame intervals over ~20 s of live updates.
  const frames = await ov.page.evaluate(
    (ms) =>
      new Promise((resolve) => {
        const d = [];
        let last = null;
        const startAt = performance.now();
        const frame = (ts) => {
          if (last !== null) d.push(ts - last);
          last = ts;
          if (ts - startAt < ms) requestAnimationFrame(frame);
          else resolve(d);
        };
        requestAnimationFrame(frame);
      }),
    20_000,
  );
  const sorted = [...frames].sort((a, b) => a - b);
  m.frames = frames.length;
  m.frame_ms_mean = round1(frames.reduce((s, x) => s + x, 0) / Math.max(1, frames.length));
  m.frame_ms_p99 = round1(percentile(sorted, 99));
  m.frame_ms_max = round1(sorted[sorted.length - 1] ?? null);

  // The heap after SOAK_MINUTES of live updates (sampled each minute).
  const samples = [];
  const soakEnd = Date.now() + SOAK_MINUTES * 60_000;
  while (Date.now() < soakEnd) {
    await delay(Math.min(60_000, soakEnd - Date.now())); // the soak's duration: measured, not waited on
    samples.push(await heapAfterGc(ov.page));
  }
  m.heap_end_bytes = samples.length ? samples[samples.length - 1] : await heapAfterGc(ov.page);
  m.heap_max_bytes = Math.max(m.heap_start_bytes, ...samples);
  m.heap_samples_bytes = samples;
  m.overview_points_at_end = Number(await ov.page.getByTestId('overview-chart-series').locator('.chart').getAttribute('data-points'));
  clearInterval(feeder);
  await Promise.all(pubs.map((p) => p.stop()));
  await shoot(ov.page, DEMO ? 'overview-demo' : 'overview-operator');
  assertClean(ov);

  // The explorer: 100,000 points written in one /write, then plotted.
  const db = DEMO ? 'console_bench' : 'acme';
  const token = DEMO ? undefined : ACME_TOKEN;
  const measurement = `bench_100k_${RUN}`;
  await ensureDb(db, token);
  const n = 100_000;
  const tEnd = Date.now() - 1000;
  const lines = Array.from({ length: n }, (_, i) => `${measurement},line=l1 value=${(Math.sin(i / 500) * 50 + (i % 7)).toFixed(3)} ${tEnd - (n - 1 - i) * 25}`);
  const w0 = performance.now();
  await writeLines(db, lines, token);
  m.explorer_write_100k_ms = round1(performance.now() - w0);

  const ex = await openPage(t);
  if (!DEMO) await loginByApi(ex.ctx, { token: ACME_TOKEN });
  await ex.page.goto(`${BASE}/console/#/overview`);
  await ex.page.getByTestId('view-overview').waitFor();
  await explorerPlot(ex.page, db, measurement, 'value');
  await armDrawTimer(ex.page, 'explorer-add-series');
  await ex.page.getByTestId('explorer-add-series').click();
  const agg = await drawTimerResult(ex.page, 1);
  const aggMode = await waitText(ex.page.getByTestId('chart-mode'), /buckets · \d+ ms$/);
  m.explorer_aggregate = { ...agg, query_ms: Number(/(\d+) ms$/.exec(aggMode)[1]), mode: aggMode };

  // All 100,000 raw points: the query edited by hand.
  await ex.page.getByTestId('query-text').fill(`SELECT "value" FROM "${measurement}"`);
  await armDrawTimer(ex.page, 'query-run');
  await ex.page.getByTestId('query-run').click();
  const raw = await drawTimerResult(ex.page, 100_000);
  const rawMode = await waitText(ex.page.getByTestId('chart-mode'), /^your query · 100\.0 k values · \d+ ms$/);
  m.explorer_raw_100k = { ...raw, query_ms: Number(/(\d+) ms$/.exec(rawMode)[1]) };
  m.explorer_heap_bytes = await heapAfterGc(ex.page);
  await shoot(ex.page, 'explorer-100k');
  assertClean(ex);

  console.log(`MEASURE ${JSON.stringify(m)}`);
});

// ---------------------------------------------------------------- f. a refused login, in the audit log (last)

test('f. a refused login shows its error and appears in the audit view (last: it starts a back-off)', { skip: NEEDS_AUTH, timeout: TEST_TIMEOUT }, async (t) => {
  // beta/plc logs in nowhere else: its back-off after this failure touches no other test.
  const denied = await openPage(t, { allow: [PROBE_401] });
  await loginForm(denied.page, [BETA_PLC[0], `wrong-${RUN}`]);
  const error = denied.page.getByTestId('login-form').getByTestId('error');
  await waitText(error, /HTTP 401/);
  assert.equal(await denied.page.getByTestId('who').count(), 0, 'not logged in');
  await denied.page.getByTestId('login-form').waitFor();
  await shoot(denied.page, 'login-denied');

  // The entry is beta's: an operator (token login) reads the whole log.
  const op = await openPage(t, { allow: [PROBE_401] });
  const { page } = op;
  await loginTokenForm(page, OPERATOR_TOKEN);
  await waitText(page.getByTestId('who'), /^_hub\/.*operator/);
  await nav(page, 'audit');
  await page.getByTestId('audit-kind').selectOption('session');
  await page.getByTestId('audit-outcome').selectOption('denied');
  await page.getByTestId('audit-search').fill('plc');
  const row = page.locator('[data-testid="audit-row"][data-kind="session"][data-outcome="denied"]').filter({ hasText: 'beta' });
  await row.first().waitFor();
  const cells = (await row.first().locator('td').allTextContents()).map((s) => s.trim());
  // #, time, kind, outcome, tenant, principal, source, details
  assert.equal(cells[2], 'session');
  assert.equal(cells[3], 'denied');
  assert.equal(cells[4], 'beta');
  assert.match(cells[5], /^(beta\/)?plc$/);
  assert.match(cells[6], /^127\.0\.0\.1:\d+$|^\[?::1\]?:\d+$/);
  await shoot(page, 'audit');

  // The operator's security view picks any tenant.
  await nav(page, 'security');
  await page.locator('[data-testid="security-tenant"] option[value="beta"]').waitFor({ state: 'attached' });
  await page.getByTestId('security-tenant').selectOption('beta');
  await page.locator('[data-testid="principal-row"][data-name="plc"]').waitFor();
  await page.getByTestId('quota-form').waitFor();
  await shoot(page, 'security-operator');
  assertClean(denied, op);
});
