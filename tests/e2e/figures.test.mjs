// The staff's figures from a resident's real session: a scripted session in
// the widget (an answer, a clarification's choice, a tap on the call centre's
// number, a booking cancelled, a booking kept) on a fresh database, then the
// console's dashboard shows exactly what METRICS.md says those five
// conversations are; staff then close the slot of the booking that stood, and
// the dashboard counts it cancelled. Nothing is written to the log but what the widget and
// the server do; the questions are chosen beforehand with `madoguchi ask` on
// a database of their own, so that the probe is not in the figures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ARTEFACTS, BIN, REPLY, ROOT, axe, logInAndBook, newPage, stage, unstage } from './harness.mjs';
const WAIT_MS = 10000;
const ADMIN = { name: 'kanri', password: 'figures-2026-admin' };
// The sample town (reservation/data/tickets.csv).
const TICKET = '1234567890', BIRTH = '19500401';
// Staff and residents are in the town's time zone: "today" is the town's.
const TOWN = { locale: 'ja-JP', timezoneId: 'Asia/Tokyo' };

let st, base, browser;
let ANSWERED, CLARIFIED, BOOKING;

// The engine's decision on each question, on a database of its own.
function probe(questions) {
  const r = spawnSync(BIN, ['--db', join(st.tmp, 'probe.db'), 'ask', '--json'],
    { cwd: ROOT, input: questions.join('\n') + '\n', encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

before(async () => {
  st = await stage('figures', [{ ...ADMIN, role: 'admin' }]);
  ({ base, browser } = st);
  const replies = probe(['持ち物は何ですか', '接種券をなくしました', '副反応にはどんなものがありますか',
    '接種券', '熱', '予約', '予約したい', 'ワクチンの予約', '予約の変更かキャンセル', '予約をキャンセルしたい']);
  const find = (want) => replies.find(want)?.question;
  ANSWERED = find((r) => r.decision === 'answer' && !r.followup);
  CLARIFIED = find((r) => r.decision === 'clarify' && (r.choices || []).length >= 2);
  BOOKING = find((r) => r.decision === 'answer' && r.followup?.route === 'booking');
  assert.ok(ANSWERED && CLARIFIED && BOOKING, 'the sample answers, clarifies and books');
});

after(() => unstage(st));

async function ask(page, question) {
  const before = await page.locator(REPLY).count();
  await page.locator('.mg-input').fill(question);
  await page.locator('.mg-input').press('Enter');
  await page.locator(REPLY).nth(before).waitFor({ timeout: WAIT_MS });
}

// 「最初から」: the next resident, a new conversation.
async function restart(page) {
  await page.getByRole('button', { name: '最初から' }).click();
  await page.locator('.mg-msg.mg-user').first().waitFor({ state: 'detached' });
}

// From the answer's booking card to a confirmed booking, on a day far enough
// ahead to be cancelled online (the town's change deadline is 2 days before).
async function book(page) {
  await page.getByRole('button', { name: '予約に進む' }).last().click();
  await logInAndBook(page, TICKET, BIRTH,
    { ticket: '接種券番号（10桁）', birth: '生年月日', login: 'ログイン', confirm: '予約を確定する' }, 3);
  await page.locator('.mg-bk-title', { hasText: '予約が確定しました' }).waitFor({ timeout: WAIT_MS });
}

// The town's date today, as the dashboard labels a day: "12/1(火)".
function todayLabel() {
  const parts = new Intl.DateTimeFormat('ja-JP', { timeZone: 'Asia/Tokyo', month: 'numeric', day: 'numeric', weekday: 'short' })
    .formatToParts(new Date());
  const p = (t) => parts.find((x) => x.type === t).value;
  return `${p('month')}/${p('day')}(${p('weekday')})`;
}

test('the report of a scripted widget session shows exactly its figures', async () => {
  const resident = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...TOWN });
  const page = await newPage(resident);
  const sent = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/v1/event')) sent.push(JSON.parse(r.postData())); });
  await page.goto(base + '/');
  // A phone would open its dialler on a tel: link; headless chromium instead
  // leaves a navigation pending that swallows later clicks. The page (not
  // the widget) stops the dialling once the tap has gone through the widget.
  await page.evaluate(() => window.addEventListener('click', (e) => {
    if (e.composedPath().some((n) => String(n.href || '').startsWith('tel:'))) e.preventDefault();
  }));
  await page.locator('.mg-launcher').click();
  await page.locator('.mg-panel').waitFor();
  await page.locator('.mg-callbar a').waitFor({ timeout: WAIT_MS });

  // 1. An answer.
  await ask(page, ANSWERED);
  await page.locator('.mg-feedback').last().waitFor();

  // 2. A clarification, and the resident picks the second choice.
  await restart(page);
  await ask(page, CLARIFIED);
  const choices = page.locator('.mg-choices .mg-chip:not(.mg-none)');
  await choices.nth(1).waitFor();
  const before = await page.locator(REPLY).count();
  await choices.nth(1).click();
  await page.locator(REPLY).nth(before).waitFor({ timeout: WAIT_MS });

  // 3. An answer, and then the resident taps the call centre's number.
  await restart(page);
  await ask(page, ANSWERED);
  await page.locator('.mg-feedback').last().waitFor();
  await page.locator('.mg-callbar a[href^="tel:"]').click();

  // 4. A booking made in the chat, then cancelled.
  await restart(page);
  await ask(page, BOOKING);
  await book(page);
  await page.getByRole('button', { name: '予約をキャンセルする' }).click();
  await page.getByRole('button', { name: 'キャンセルする', exact: true }).click();
  await page.locator('.mg-bk-title', { hasText: '予約をキャンセルしました' }).waitFor({ timeout: WAIT_MS });

  // 5. A booking made in the chat that stands.
  await restart(page);
  await ask(page, BOOKING);
  await book(page);

  // What the widget sent: the choice, the tap, the two booking buttons.
  await page.waitForTimeout(300);
  assert.deepEqual(sent.map((e) => [e.type, e.entry ? 'entry' : e.channel, e.route].filter(Boolean).join(' ')),
    ['clarify_chosen entry', 'handoff_clicked phone call_center', 'handoff_clicked booking booking',
      'handoff_clicked booking booking']);
  assert.ok(sent.every((e) => /^[0-9a-f]{32}$/.test(e.conversation)), 'each under its conversation');
  assert.equal(new Set(sent.map((e) => e.conversation)).size, 4, 'four conversations sent events');
  // 401 (a log-in refused) and 404 (no booking yet) are answers the flow handles.
  assert.deepEqual(page.errors.filter((e) => !/status of 40[14]/.test(e)), []);
  await resident.close();

  // The console, as the town's staff read it.
  const office = await browser.newContext({ viewport: { width: 1400, height: 1000 }, ...TOWN });
  const staff = await newPage(office);
  await staff.goto(base + '/admin');
  await staff.fill('#login-form input[name=name]', ADMIN.name);
  await staff.fill('#login-form input[name=password]', ADMIN.password);
  await staff.click('#login-form button[type=submit]');
  await staff.locator('#totals .stat').first().waitFor({ timeout: WAIT_MS });
  const figure = async (name) => (await staff.locator(`#totals [data-figure=${name}] strong`).innerText()).trim();
  // 5 conversations; 4 deflected: the answer, the choice, the cancelled
  // booking's answer and the kept booking — not the one that called.
  const expected = {
    conversations: '5', questions: '5', deflection_rate: '80.0 %', deflection_today: '80.0 %',
    answered_rate: '80.0 %', clarify_rate: '20.0 %', clarify_chosen: '1', handoff_rate: '0.0 %', rephrase_rate: '0.0 %',
    call_taps: '1', self_service: '1', bookings: '2 / 1', helpful: '0 / 0',
  };
  const shown = {};
  for (const name of Object.keys(expected)) shown[name] = await figure(name);
  assert.deepEqual(shown, expected);
  const taps = await staff.locator('#clicks').innerText();
  assert.match(taps, /phone:call_center\s+1/);
  assert.match(taps, /booking:booking\s+2/);
  // Top topics are topics (an entry's question and slug), not categories.
  const topics = await staff.locator('#topics tr').allInnerTexts();
  assert.ok(topics.length > 1);
  for (const row of topics.slice(1)) assert.match(row, /^.+ \([a-z0-9-]+\)\t/, `a topic: ${row}`);

  // The daily chart spans the one day with figures; the hours are whole.
  await staff.locator('#chart-days canvas').waitFor({ timeout: WAIT_MS });
  const ticks = async (id) => JSON.parse(await staff.locator('#' + id).getAttribute('data-ticks'));
  assert.deepEqual(await ticks('chart-days'), [todayLabel()]);
  const hours = await ticks('chart-hours');
  assert.ok(hours.length >= 4);
  for (const h of hours) assert.match(h, /^\d{1,2}時$/);
  assert.ok(hours.includes('0時') && hours.includes('21時'));
  await staff.screenshot({ path: join(ARTEFACTS, 'figures-dashboard.png'), fullPage: true });

  await axe(staff, 'dashboard');

  // The forecast: one day of history is said to be too little; each day
  // shows its weekday and the call centre's hours, closed on Sunday.
  await staff.click('nav a[data-view=forecast]');
  await staff.locator('#forecast-table tr').nth(7).waitFor({ timeout: WAIT_MS });
  await staff.locator('#forecast-warnings li[data-code=short_history]').waitFor();
  const rows = await staff.locator('#forecast-table tr').allInnerTexts();
  const sunday = rows.find((r) => /^\d+\/\d+\(日\)/.test(r));
  assert.ok(sunday, 'a Sunday among the days');
  assert.match(sunday, /\t休業/);
  assert.match(sunday, /\t0\t—$/);
  assert.ok(rows.some((r) => /^\d+\/\d+\(土\)\t9:00-12:00\t/.test(r)), 'Saturday mornings only');
  await staff.screenshot({ path: join(ARTEFACTS, 'figures-forecast.png'), fullPage: true });

  // The doctor cannot come: staff close the slot of the booking that stood.
  // Its cancellation counts against the conversation that booked, as the
  // resident's own did.
  await staff.click('nav a[data-view=slots]');
  await staff.locator('#sl-from').fill(await staff.locator('#sl-from').inputValue() || new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Tokyo' }).format(new Date()));
  const far = new Date(Date.now() + 60 * 86400e3);
  await staff.locator('#sl-to').fill(new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Tokyo' }).format(far));
  await staff.locator('#sl-filter button[type=submit]').click();
  const booked = staff.locator('#sl-list tr[data-slot]').filter({ has: staff.locator('td:nth-child(6)', { hasText: /^1$/ }) });
  await booked.first().waitFor({ timeout: WAIT_MS });
  assert.equal(await booked.count(), 1, 'one slot holds the booking that stood');
  await booked.locator('.ops-close').click();
  await booked.locator('.ops-close-yes').click();
  await staff.locator('#sl-list tr.closed').first().waitFor({ timeout: WAIT_MS });
  await staff.click('nav a[data-view=dashboard]');
  await staff.locator('#totals [data-figure=bookings] strong', { hasText: '2 / 2' }).waitFor({ timeout: WAIT_MS });
  assert.deepEqual(staff.errors.filter((e) => !/inline style/.test(e)), []);
  await office.close();
});
