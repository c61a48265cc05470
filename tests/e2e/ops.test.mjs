// Booking operations in the staff console, one role at a time, in Debian's
// chromium against a real `madoguchi serve` whose clock is 08:30 today in the
// town (Asia/Tokyo), whatever the machine's zone:
//   an administrator makes a week of slots and closes one: its resident's
//     notification is in the console's outbox;
//   the call centre books for a caller and reads the rules' reason when refused;
//   reception (a tablet, 1024x768) sees only its venue and checks in and
//     records a vaccination by the number printed on the 接種券;
//   an administrator imports 有効接種券 (a file with a bad line: its line and
//     reason in Japanese, nothing imported; then the file put right), downloads
//     the national record's (VRS) file with reception's vaccination in it, and
//     reads the waiting list with the seat offered to a resident it imported.
// The tests run in this order and share the server: the call centre books the
// resident that reception then receives.
// Run: cd tests/e2e && npm ci && MADOGUCHI=$PWD/../../madoguchi node --test ops.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTEFACTS, BIN, ROOT, addUser, axe, launchBrowser, startServer, stopServer } from './harness.mjs';

const WAIT_MS = 10000;
const ADMIN = { name: 'kanri', role: 'admin', password: 'midori-admin-2026' };
const CALLC = { name: 'denwa', role: 'call_center', password: 'midori-call-2026' };
const UKE = { name: 'uketsuke', role: 'reception', password: 'midori-desk-2026' };
// The sample town's residents (reservation/data/tickets.csv).
const TARO = { ticket: '1234567890', birth: '昭和25年4月1日' };          // 1950-04-01, no dose yet
const RECENT = { ticket: '3456789012', birth: 'S30.7.7' };              // a dose 30 days ago
const CLOSED = { ticket: '6789012345', birth: '1985-12-24' };           // booked into the slot that closes
const KITA = { ticket: '5678901234', birth: '1972/9/9' };               // booked at another venue

const TODAY = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Tokyo' }).format(new Date());
function plus(days) {
  const d = new Date(TODAY + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

let server, base, browser, tmp, db;

function cli(args, env = {}) {
  const r = spawnSync(BIN, ['--db', db, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'madoguchi-ops-'));
  db = join(tmp, 'ops.db');
  mkdirSync(ARTEFACTS, { recursive: true });
  for (const who of [ADMIN, CALLC, UKE]) addUser(db, who);
  ({ server, base } = await startServer(db, ['--clock', TODAY + ' 08:30']));
  // The first booking request gives the new database the sample town.
  assert.equal((await fetch(base + '/api/v1/booking/venues')).status, 200);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stopServer(server);
  rmSync(tmp, { recursive: true, force: true });
});

// The console's API as one member of staff, for what a test prepares.
async function as(who) {
  const r = await fetch(base + '/api/v1/admin/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: who.name, password: who.password }) });
  assert.equal(r.status, 200);
  const { csrf } = await r.json();
  const cookie = r.headers.get('set-cookie').split(';')[0];
  return async (method, path, body) => {
    const res = await fetch(base + '/api/v1/admin/ops/' + path, { method, body: body && JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', Cookie: cookie, 'X-CSRF-Token': csrf } });
    return { status: res.status, json: await res.json() };
  };
}

async function slotAt(api, venue, date, start) {
  const r = await api('GET', `free?venue=${venue}&date=${date}`);
  const slot = r.json.slots.find((s) => s.start === start);
  assert.ok(slot, `a free slot at ${venue} ${date} ${start}`);
  return slot.id;
}

async function console_(viewport, who) {
  const context = await browser.newContext({ viewport, locale: 'ja-JP' });
  const page = await context.newPage();
  page.errors = [];
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(base + '/admin');
  await page.fill('#login-form input[name=name]', who.name);
  await page.fill('#login-form input[name=password]', who.password);
  await page.click('#login-form button[type=submit]');
  await page.locator('#nav').waitFor({ timeout: WAIT_MS });
  return page;
}

// The console's own messages and the errors the browser logged, without
// axe-core's injected style (refused by the page's CSP, as intended).
function unexpected(page) {
  return page.errors.filter((e) => !/inline style/.test(e));
}

test('an administrator makes a week of slots, closes one, and the outbox tells its resident', async () => {
  const page = await console_({ width: 1280, height: 900 }, ADMIN);
  await page.click('nav a[data-view=slots]');
  const form = page.locator('#sl-create');
  await form.locator('select[name=venue]').selectOption('chuo');
  await form.locator('select[name=product]').selectOption('covid-pfizer');
  await form.locator('input[name=from]').fill(TODAY);
  await form.locator('input[name=to]').fill(plus(6));
  for (const day of ['0', '6']) await form.locator(`.ops-days input[value="${day}"]`).check();  // weekends too
  await form.locator('input[name=times]').fill('13:00 13:30');
  await form.locator('input[name=capacity]').fill('2');
  await form.locator('button[type=submit]').click();
  await page.locator('#sl-msg').filter({ hasText: '14枠を作成しました' }).waitFor({ timeout: WAIT_MS });
  await axe(page, 'slots');

  // A resident books the slot of the day after tomorrow at 13:00.
  const calls = await as(CALLC);
  const slot = await slotAt(calls, 'chuo', plus(2), '13:00');
  const booked = await calls('POST', 'book', { ticket: CLOSED.ticket, birth_date: CLOSED.birth, slot });
  assert.equal(booked.status, 200, JSON.stringify(booked.json));

  // The slot closes; the console confirms on the row first.
  await page.locator('#sl-from').fill(plus(2));
  await page.locator('#sl-to').fill(plus(2));
  await page.locator('#sl-filter button[type=submit]').click();
  const row = page.locator(`#sl-list tr[data-slot="${slot}"]`);
  // The list made before the booking shows the row too, with none booked:
  // wait for the filtered list's row with its one booking, not just any row.
  await page.waitForFunction((id) => {
    const tr = document.querySelector(`#sl-list tr[data-slot="${id}"]`);
    return tr && /受付中/.test(tr.innerText) && /13:00[\s\S]*\b1\b/.test(tr.innerText);
  }, slot, { timeout: WAIT_MS });
  await row.locator('.ops-close').click();
  await row.locator('.ops-close-yes').click();
  await page.locator('#sl-msg').filter({ hasText: '1件の通知' }).waitFor({ timeout: WAIT_MS });
  await page.locator(`#sl-list tr[data-slot="${slot}"]`).filter({ hasText: '閉鎖' }).waitFor({ timeout: WAIT_MS });
  const told = page.locator('#sl-outbox tr[data-kind=slot_closed]');
  await told.waitFor({ timeout: WAIT_MS });
  assert.match(await told.innerText(), new RegExp(CLOSED.ticket));
  assert.match(await told.innerText(), /13:00/);
  await page.screenshot({ path: join(ARTEFACTS, 'ops-slots.png'), fullPage: true });
  // Its booking is cancelled, and says why.
  const history = await calls('POST', 'caller', { ticket: CLOSED.ticket, birth_date: CLOSED.birth });
  assert.equal(history.json.bookings[0].status, 'cancelled');
  assert.equal(history.json.bookings[0].cancel_reason, 'slot_closed');

  // The report of the week, and its CSV for Excel.
  await page.click('nav a[data-view=bookings]');
  await page.locator('#bk-table tr.ops-total').waitFor({ timeout: WAIT_MS });
  assert.match(await page.locator('#bk-table').innerText(), /中央公民館/);
  assert.match(await page.locator('#bk-csv').getAttribute('href'), /report\.csv\?from=/);
  const csv = await (await page.request.get(base + await page.locator('#bk-csv').getAttribute('href'))).body();
  assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  await axe(page, 'bookings report');
  assert.deepEqual(unexpected(page), []);
  await page.context().close();
});

test('the call centre books for a caller and reads the rules\' reason when refused', async () => {
  const page = await console_({ width: 1280, height: 800 }, CALLC);
  await page.click('nav a[data-view=calls]');
  // The caller's ticket and birth date, then today's free slots at chuo.
  async function freeSlotFor(caller, start) {
    await page.fill('#cc-caller input[name=ticket]', caller.ticket);
    await page.fill('#cc-caller input[name=birth_date]', caller.birth);
    await page.click('#cc-caller button[type=submit]');
    await page.locator('#cc-msg').filter({ hasText: '本人確認ができました' }).waitFor({ timeout: WAIT_MS });
    await page.locator('#cc-venue').selectOption('chuo');
    await page.fill('#cc-date', TODAY);
    await page.click('#cc-search button[type=submit]');
    const slot = page.locator('#cc-slots tbody tr').filter({ hasText: start }).first();
    await slot.waitFor({ timeout: WAIT_MS });
    return slot;
  }
  await (await freeSlotFor(TARO, '13:00')).locator('button.ops-pick').click();   // 和暦, as said on the phone
  await page.locator('#cc-msg').filter({ hasText: '予約しました' }).waitFor({ timeout: WAIT_MS });
  await page.locator('#cc-history .ops-badge').filter({ hasText: '予約済' }).waitFor({ timeout: WAIT_MS });
  await axe(page, 'call centre, booked');

  // A caller whose last dose was 30 days ago: refused, with when they may come.
  await page.click('#cc-end');
  await (await freeSlotFor(RECENT, '13:30')).locator('button.ops-pick').click();
  await page.locator('#cc-msg.bad').filter({ hasText: /次回の接種は\d+月\d+日\(.\)から可能です/ }).waitFor({ timeout: WAIT_MS });
  await page.screenshot({ path: join(ARTEFACTS, 'ops-calls.png'), fullPage: true });

  // A birth date that does not match: said so, and the operator stays logged in.
  await page.click('#cc-end');
  await page.fill('#cc-caller input[name=ticket]', KITA.ticket);
  await page.fill('#cc-caller input[name=birth_date]', '1972/9/10');
  await page.click('#cc-caller button[type=submit]');
  await page.locator('#cc-msg.bad').filter({ hasText: '一致しません' }).waitFor({ timeout: WAIT_MS });
  assert.ok(await page.locator('#cc-panel').isHidden());
  await axe(page, 'call centre, refused');
  // The browser logs the refused requests (403, 409) as errors; nothing else.
  assert.deepEqual(unexpected(page).filter((e) => !/status of 40[39]/.test(e)), []);
  await page.context().close();
});

test('reception on a tablet sees only its venue, checks in and records a vaccination by ticket number', async () => {
  // Another resident is booked today at kita, which is not this desk's venue.
  const admin = await as(ADMIN);
  const kita = await admin('POST', 'slots', { venue: 'kita', product: 'covid-pfizer', from: TODAY, to: TODAY,
    times: ['15:00'], minutes: 30, capacity: 3 });
  assert.equal(kita.status, 200, JSON.stringify(kita.json));
  const calls = await as(CALLC);
  const other = await calls('POST', 'book', { ticket: KITA.ticket, birth_date: KITA.birth,
    slot: await slotAt(calls, 'kita', TODAY, '15:00') });
  assert.equal(other.status, 200, JSON.stringify(other.json));
  cli(['booking', 'desk', UKE.name, 'chuo']);

  const page = await console_({ width: 1024, height: 768 }, UKE);
  await page.locator('#view-reception').waitFor({ timeout: WAIT_MS });   // the role's first screen
  const mine = page.locator(`#rc-list tr[data-ticket="${TARO.ticket}"]`);
  await mine.waitFor({ timeout: WAIT_MS });
  assert.equal(await page.locator(`#rc-list tr[data-ticket="${KITA.ticket}"]`).count(), 0);
  assert.deepEqual(await page.locator('#rc-venue option').allInnerTexts(), ['すべて', 'みどり町中央公民館']);
  assert.doesNotMatch(await page.locator('#view-reception').innerText(), /北地区/);

  // The number as printed on the 接種券, hyphens and all.
  await page.fill('#rc-q', '1234-567-890');
  await page.locator('#rc-list tbody tr').first().waitFor();
  await page.waitForFunction(() => document.querySelectorAll('#rc-list tbody tr[data-ticket]').length === 1);
  const step = mine.locator('button.step-checkin');
  const box = await step.boundingBox();
  assert.ok(box.height >= 48 && box.width >= 48, 'a tap target a finger can hit');
  await step.click();
  await mine.locator('.ops-badge').filter({ hasText: '受付済' }).waitFor({ timeout: WAIT_MS });
  await page.fill('#rc-lot', 'FK0123');
  await mine.locator('button.step-vaccinated').click();
  await mine.locator('.ops-badge').filter({ hasText: '接種済' }).waitFor({ timeout: WAIT_MS });
  assert.match(await mine.innerText(), /ロット FK0123/);
  assert.match(await page.locator('#rc-msg').innerText(), /1234567890：接種済にしました/);
  assert.match(await page.locator('#rc-counts .st-vaccinated').innerText(), /1/);
  await page.fill('#rc-q', '');
  await page.screenshot({ path: join(ARTEFACTS, 'ops-reception-tablet.png') });
  await axe(page, 'reception at 1024x768');
  assert.deepEqual(unexpected(page), []);
  await page.context().close();

  // The command line agrees, on a machine in UTC: the town's day, the dose.
  assert.match(cli(['booking', 'day', '--desk', UKE.name], { TZ: 'UTC' }), new RegExp('^' + TODAY));
  assert.match(cli(['booking', 'lookup', TARO.ticket], { TZ: 'UTC' }), /\[vaccinated\]/);
});

test('an administrator imports tickets, downloads the VRS file and reads the waiting list', async () => {
  const page = await console_({ width: 1280, height: 900 }, ADMIN);
  const calls = await as(CALLC);
  const NEW = { ticket: '7000000001', birth: '1960-05-05' };
  const checkCaller = () => calls('POST', 'caller', { ticket: NEW.ticket, birth_date: NEW.birth });

  // A 有効接種券 file whose third line has a day February never has.
  await page.click('nav a[data-view=slots]');
  await page.locator('#im-kind').selectOption('tickets');
  const file = (rows) => ({ name: 'tickets.csv', mimeType: 'text/csv',
    buffer: Buffer.from('ticket,birth_date,dose_date,dose_product\r\n' + rows.join('\r\n') + '\r\n') });
  await page.setInputFiles('#im-file', file([`${NEW.ticket},${NEW.birth},,`, '7000000002,1960-02-30,,']));
  await page.click('#im-form button[type=submit]');
  await page.locator('#im-msg.bad').filter({ hasText: '何も取り込んでいません' }).waitFor({ timeout: WAIT_MS });
  assert.deepEqual(await page.locator('#im-errors li').allInnerTexts(),
    ['3行目：生年月日「1960-02-30」が過去の日付ではありません。']);
  assert.equal((await checkCaller()).status, 403, 'the good line 2 was not imported either');
  await axe(page, 'slots, import refused');

  // Put right, the same file goes in whole.
  await page.setInputFiles('#im-file', file([`${NEW.ticket},${NEW.birth},,`, '7000000002,1960-02-29,,']));
  await page.click('#im-form button[type=submit]');
  await page.locator('#im-msg.good').filter({ hasText: '有効接種券：2行を取り込みました。' }).waitFor({ timeout: WAIT_MS });
  assert.equal(await page.locator('#im-errors li').count(), 0);
  assert.equal((await checkCaller()).status, 200);

  // The national record: reception's vaccination of today (the test before), as a row.
  await page.click('nav a[data-view=bookings]');
  await page.locator('#vrs-from').fill(TODAY);
  await page.locator('#vrs-to').fill(TODAY);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#vrs-csv')]);
  const vrs = readFileSync(await download.path());
  assert.deepEqual([...vrs.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const lines = vrs.subarray(3).toString('utf8').split('\r\n');
  assert.equal(lines[0], '券番号,自治体コード,接種日,接種回数,ワクチン,ロット番号,接種会場');
  assert.deepEqual(lines.slice(1).filter(Boolean), [
    `"${TARO.ticket}","999997","${TODAY.replaceAll('-', '')}","1","新型コロナワクチン（ファイザー社 コミナティ）","FK0123","みどり町中央公民館"`]);
  await axe(page, 'bookings report with VRS');

  // The waiting list: the imported resident waits for a full day at kita;
  // a seat added there is offered to them.
  const admin = await as(ADMIN);
  const made = await admin('POST', 'slots', { venue: 'kita', product: 'covid-pfizer', from: plus(4), to: plus(4),
    times: ['10:00'], minutes: 30, capacity: 0 });
  assert.equal(made.status, 200, JSON.stringify(made.json));
  const waits = await calls('POST', 'wait', { ticket: NEW.ticket, birth_date: NEW.birth, venue: 'kita', date: plus(4) });
  assert.equal(waits.status, 200, JSON.stringify(waits.json));
  await page.click('nav a[data-view=waiting]');
  const row = page.locator(`#wl-list tr[data-ticket="${NEW.ticket}"]`);
  await row.filter({ hasText: '待機中' }).waitFor({ timeout: WAIT_MS });
  assert.match(await row.innerText(), /北地区コミュニティセンター[\s\S]*\d+月\d+日[\s\S]*なし/);
  const slot = (await admin('GET', `slots?venue=kita&from=${plus(4)}&to=${plus(4)}`)).json.slots[0];
  assert.equal((await admin('POST', 'capacity', { slot: slot.id, capacity: 1 })).json.offered, 1);
  await page.locator('#wl-venue').selectOption('kita');
  await row.filter({ hasText: 'ご案内中' }).waitFor({ timeout: WAIT_MS });
  assert.match(await row.locator('li.offer-pending').innerText(), /10:00 北地区コミュニティセンター（回答待ち・/);
  await page.screenshot({ path: join(ARTEFACTS, 'ops-waiting.png'), fullPage: true });
  await axe(page, 'waiting list');
  await page.locator('#wl-venue').selectOption('chuo');   // waiting at kita: not at chuo
  await page.locator('#wl-list').filter({ hasText: 'キャンセル待ちの方はいません。' }).waitFor({ timeout: WAIT_MS });
  assert.deepEqual(unexpected(page), []);
  await page.context().close();
});

test('an administrator edits a venue and a vaccine\'s rules field by field: the import\'s checks, residents see it, the audit log has it', async () => {
  const page = await console_({ width: 1280, height: 900 }, ADMIN);
  await page.click('nav a[data-view=slots]');
  const venue = page.locator('#vn-form');
  await venue.locator('#vn-form-pick option[value=kita]').waitFor({ state: 'attached', timeout: WAIT_MS });
  await venue.locator('#vn-form-pick').selectOption('kita');
  assert.equal(await venue.locator('input[name=name]').inputValue(), '北地区コミュニティセンター');
  const was = await venue.locator('input[name=accessibility]').inputValue();
  const now = '段差なし（スロープ設置済み）・洋室で接種';
  await venue.locator('input[name=accessibility]').fill(now);
  await venue.locator('button[type=submit]').click();
  await venue.locator('.ops-msg').filter({ hasText: '北地区コミュニティセンター（kita）を保存しました。' }).waitFor({ timeout: WAIT_MS });
  const venues = (await (await fetch(base + '/api/v1/booking/venues')).json()).venues;
  assert.equal(venues.find((v) => v.code === 'kita').accessibility, now, 'residents read the venue as saved');
  assert.equal(venues.length, 3, 'the venue was replaced, not added');

  // A vaccine's rules: what a set-up file's row may not say, the form may not either.
  const product = page.locator('#pd-form');
  await product.locator('#pd-form-pick').selectOption('shingrix');
  assert.equal(await product.locator('input[name=horizon_days]').inputValue(), '90');
  assert.equal(await product.locator('input[name=same_product]').isChecked(), true);
  await product.locator('input[name=horizon_days]').fill('0');
  await product.locator('button[type=submit]').click();
  await product.locator('.ops-msg.bad').filter({ hasText: /予約できる日数（horizon_days）は1〜\d+の整数です（「0」）。/ }).waitFor({ timeout: WAIT_MS });
  page.errors.length = 0;   // the refused save (400)
  const api = await as(ADMIN);
  const rules = async () => (await api('GET', 'setup')).json.products.find((p) => p.code === 'shingrix');
  assert.equal((await rules()).horizon_days, 90, 'nothing refused was saved');
  await product.locator('input[name=horizon_days]').fill('120');
  await product.locator('button[type=submit]').click();
  await product.locator('.ops-msg').filter({ hasText: '（shingrix）を保存しました。' }).waitFor({ timeout: WAIT_MS });
  assert.equal((await rules()).horizon_days, 120);
  assert.equal((await rules()).same_product, true);
  await axe(page, 'slots with the venue and vaccine forms');
  await page.screenshot({ path: join(ARTEFACTS, 'ops-venue-product.png'), fullPage: true });

  // The audit log: who changed which venue, before and after.
  await page.click('nav a[data-view=audit]');
  const row = page.locator('#view-audit tr[data-kind="venue.save"]').first();
  await row.waitFor({ timeout: WAIT_MS });
  assert.equal(await row.locator('.audit-kind').innerText(), '会場の変更');
  assert.equal(await row.locator('.audit-target').innerText(), 'kita');
  assert.ok((await row.locator('.audit-before').innerText()).includes(was));
  assert.ok((await row.locator('.audit-after').innerText()).includes(now));
  await page.locator('#view-audit tr[data-kind="product.save"]').first().waitFor({ timeout: WAIT_MS });
  assert.deepEqual(unexpected(page), []);
  await page.context().close();
});
