// What every browser test shares: a real `madoguchi serve` on 127.0.0.1
// with a fresh database, and Debian's chromium driven by playwright-core.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import { join } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const ARTEFACTS = join(ROOT, 'tests/artefacts');
export const BIN = process.env.MADOGUCHI || join(ROOT, 'madoguchi');
// A reply in the widget's log, not the typing indicator (itself a .mg-bot while it shows).
export const REPLY = '.mg-bot:not(.mg-typing)';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Starts the server on a free port, from the source tree so that a new
// database gets the sample town's venues, slots and tickets (reservation/data).
// Resolves to { server, base } once it says where it listens. The suite plays
// many residents from one address, faster than any one resident types, so the
// per-address limit is off here; its 429s are tested in tests/unit/test_http.c.
// extra: more `serve` options, e.g. ['--clock', '2026-12-01 00:30'] for a
// resident at night (the town's time zone).
export function startServer(db, extra = []) {
  const server = spawn(BIN, ['--db', db, 'serve', '--port', '0', '--no-rate-limit', ...extra],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^listening on (http:\/\/\S+)/);
      if (m) resolve({ server, base: m[1] });
    });
    server.on('exit', (code) => reject(new Error('server exited with ' + code)));
  });
}

// SIGTERM, then wait: the server finishes requests in flight and exits.
export async function stopServer(server) {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.on('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
}

// Playwright gives every launch a fresh, temporary --user-data-dir; the
// flags keep chromium off the network this machine does not have.
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// axe-core on the page as it is now: no serious or critical violation.
export async function axe(page, label) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${label}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), []);
}

// A staff account made as a town's administrator makes it: `madoguchi user
// add`, the password on stdin. who: { name, role, password }.
export function addUser(db, who) {
  const made = spawnSync(BIN, ['--db', db, 'user', 'add', who.name, '--role', who.role],
    { input: who.password + '\n', encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
}

// A page that keeps the browser's console errors in page.errors: a CSP
// refusal or an uncaught exception shows there.
export async function newPage(context) {
  const page = await context.newPage();
  page.errors = [];
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  page.on('pageerror', (e) => page.errors.push(String(e)));
  return page;
}

// In the open booking panel: logs ticket in with birth, picks the first free
// time of the first venue on its day-th day (0: the first; a later day for a
// booking that must stay changeable past the town's change deadline) and
// confirms it. labels: the panel's words in its language {ticket, birth,
// login, confirm}. Returns the live region.
export async function logInAndBook(page, ticket, birth, labels, day = 0) {
  await page.getByLabel(labels.ticket).fill(ticket);
  await page.getByLabel(labels.birth).fill(birth);
  await page.getByRole('button', { name: labels.login }).click();
  const venue = page.locator('.mg-bk-venue').first();
  await venue.waitFor({ timeout: 10000 });
  await venue.click();
  // A venue with slots on several days lists the days first.
  const first = page.locator('.mg-bk-day, .mg-bk-slot').first();
  await first.waitFor({ timeout: 10000 });
  const days = page.locator('.mg-bk-day');
  if (await days.count()) await days.nth(Math.min(day, (await days.count()) - 1)).click();
  const slot = page.locator('.mg-bk-slot').first();
  await slot.waitFor({ timeout: 10000 });
  await slot.click();
  await page.getByRole('button', { name: labels.confirm }).click();
  return page.locator('.mg-bk-live');
}

// A stage for one test file: a scratch folder, a fresh database with the
// staff accounts given ({name, role, password}), the server on it and the
// browser. Resolves to {tmp, db, server, base, browser}; undone by unstage().
export async function stage(name, staff = []) {
  const tmp = mkdtempSync(join(tmpdir(), `madoguchi-${name}-`));
  const db = join(tmp, `${name}.db`);
  mkdirSync(ARTEFACTS, { recursive: true });
  for (const who of staff) addUser(db, who);
  const { server, base } = await startServer(db);
  return { tmp, db, server, base, browser: await launchBrowser() };
}

export async function unstage(st) {
  await st?.browser?.close();
  await stopServer(st?.server);
  if (st?.tmp) rmSync(st.tmp, { recursive: true, force: true });
}
