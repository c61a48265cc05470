// The staff console as staff meet it: an account made with `madoguchi user
// add`, the console in Debian's chromium, and the widget on the demo page, all
// against one real `madoguchi serve` with a fresh database.
// A resident's question the knowledge base cannot answer lands in the review
// queue; staff add it to an entry; the resident asking it again gets the entry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTEFACTS, REPLY, addUser, axe, newPage, stage, unstage } from './harness.mjs';

const WAIT_MS = 10000;
const STAFF = { name: 'sato', password: 'shizuoka-2026-staff', role: 'editor' };
const MISSED = '宇宙旅行の補助金はありますか';   // nothing in the knowledge base is about this
const TARGET_SLUG = 'ticket-lost';              // the entry staff add it to (for the test's sake)

let st, server, base, browser, db;

before(async () => {
  st = await stage('admin', [STAFF]);
  ({ server, base, browser, db } = st);
});

after(() => unstage(st));

// Asks in the widget on the demo page; returns the server's reply.
async function askInWidget(page, question) {
  await page.goto(base + '/');
  await page.locator('.mg-launcher').click();
  await page.locator('.mg-panel').waitFor();
  const before = await page.locator(REPLY).count();
  const reply = page.waitForResponse((r) => r.url().endsWith('/api/v1/ask'));
  await page.locator('.mg-input').fill(question);
  await page.locator('.mg-input').press('Enter');
  const json = await (await reply).json();
  await page.locator(REPLY).nth(before).waitFor({ timeout: WAIT_MS });
  return { json, bubble: page.locator(REPLY).last() };
}

test('staff take an unanswered question from the queue, add it to an entry, and residents get that entry', async () => {
  const resident = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ja-JP' });
  const widget = await newPage(resident);
  const first = await askInWidget(widget, MISSED);
  assert.notEqual(first.json.decision, 'answer', 'the question is unanswered before curation');

  const office = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'ja-JP' });
  const page = await newPage(office);
  await page.goto(base + '/admin');
  await page.locator('#login-form').waitFor();
  await page.fill('#login-form input[name=name]', STAFF.name);
  await page.fill('#login-form input[name=password]', 'not my password');
  await page.click('#login-form button[type=submit]');
  await page.locator('#login-error').filter({ hasText: /アカウント名またはパスワードが違います/ }).waitFor({ timeout: WAIT_MS });
  page.errors.length = 0;   // the browser logs that refused login (401) as an error

  await page.fill('#login-form input[name=password]', STAFF.password);
  await page.click('#login-form button[type=submit]');

  // The dashboard: today's conversation is counted and both charts are drawn.
  await page.locator('#view-dashboard').waitFor({ timeout: WAIT_MS });
  await page.locator('#totals .stat').first().waitFor({ timeout: WAIT_MS });
  await page.locator('#chart-days canvas').waitFor({ timeout: WAIT_MS });
  await page.locator('#chart-hours canvas').waitFor({ timeout: WAIT_MS });
  const stats = await page.locator('#totals').innerText();
  assert.match(stats, /本日の自己解決率/);
  assert.match(stats, /会話数\s*1\b/);
  const cookies = await office.cookies();
  const session = cookies.find((c) => c.name === 'mg_staff');
  assert.ok(session && session.httpOnly && session.sameSite === 'Strict', 'the session cookie is HttpOnly and SameSite=Strict');
  await page.screenshot({ path: join(ARTEFACTS, 'admin-dashboard.png'), fullPage: true });

  // The review queue holds the resident's question.
  await page.click('nav a[data-view=queue]');
  const group = page.locator('#queue li.group').filter({ has: page.locator(`input.group-q[value="${MISSED}"]`) });
  await group.waitFor({ timeout: WAIT_MS });
  await group.locator('button.act-alt').click();
  await group.locator('.pick-q').fill('接種券をなくしました');
  const pick = group.locator('.picks button.pick').filter({ hasText: TARGET_SLUG }).first();
  await pick.waitFor({ timeout: WAIT_MS });
  const entryId = await pick.getAttribute('data-id');
  await page.screenshot({ path: join(ARTEFACTS, 'admin-queue.png'), fullPage: true });
  await pick.click();
  // Nothing is live before staff confirm; then the message offers the undo.
  await group.locator('.confirm').filter({ hasText: /住民への回答にすぐ使われます/ }).waitFor({ timeout: WAIT_MS });
  const unchanged = await (await fetch(base + '/api/v1/ask', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ question: MISSED }) })).json();
  assert.notEqual(unchanged.decision, 'answer', 'not published before the confirmation');
  // 公開前に確認: the labelled set with the wording added; nothing gets worse.
  await group.locator('button.act-compare').click();
  await group.locator('.compare h3').filter({ hasText: /公開前の確認：tests\/eval\/dev\.tsv（\d+問）/ }).waitFor({ timeout: 30000 });
  assert.equal(await group.locator('.compare ul.compare-worse').count(), 0);
  await group.locator('.compare p.up').filter({ hasText: '悪くなる質問はありません。' }).waitFor();
  await group.locator('button.act-confirm').click();
  await page.locator('#toast').filter({ hasText: /追加しました/ }).waitFor({ timeout: WAIT_MS });
  await group.waitFor({ state: 'detached', timeout: WAIT_MS });
  // Undo: the wording leaves the entry and the question is back in the queue.
  await page.locator('#toast button.toast-act').filter({ hasText: '元に戻す' }).click();
  await page.locator('#toast').filter({ hasText: /外しました/ }).waitFor({ timeout: WAIT_MS });
  await group.waitFor({ timeout: WAIT_MS });
  const undone = await (await fetch(base + '/api/v1/entries/' + entryId)).json();
  assert.ok(!JSON.stringify(undone).includes(MISSED), 'the entry no longer holds the wording');
  // And added again, for good.
  await group.locator('button.act-alt').click();
  await group.locator('.pick-q').fill('接種券をなくしました');
  await group.locator('.picks button.pick').filter({ hasText: TARGET_SLUG }).first().click();
  await group.locator('button.act-confirm').click();
  await page.locator('#toast').filter({ hasText: /追加しました/ }).waitFor({ timeout: WAIT_MS });
  await group.waitFor({ state: 'detached', timeout: WAIT_MS });

  // The editor shows the new alternate question, and the preview the answer.
  await page.goto(base + '/admin#entry/' + entryId);
  await page.locator('#entry-form textarea[name=alt_questions]').waitFor();
  await page.waitForFunction((q) => document.querySelector('#entry-form textarea[name=alt_questions]').value.includes(q), MISSED, { timeout: WAIT_MS });
  await page.locator('#preview .mg-bot').waitFor({ timeout: WAIT_MS });
  await page.screenshot({ path: join(ARTEFACTS, 'admin-entry.png'), fullPage: true });

  // Without a restart, a resident asking the same question gets that entry.
  const later = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ja-JP' });
  const widget2 = await newPage(later);
  const again = await askInWidget(widget2, MISSED);
  assert.equal(again.json.decision, 'answer');
  assert.equal(again.json.candidates[0].id, entryId);
  const entry = await (await fetch(base + '/api/v1/entries/' + entryId)).json();
  const firstParagraph = entry.answer.split(/\n\s*\n/)[0].trim().split('\n')[0];
  assert.ok((await again.bubble.innerText()).includes(firstParagraph), 'the bubble shows the entry\'s answer');

  assert.deepEqual(page.errors, [], 'no console errors (a CSP violation would show here)');
  assert.deepEqual(widget.errors, []);
  assert.deepEqual(widget2.errors, []);
  await later.close();
  await resident.close();
  await office.close();
});

test('the forecast and the eval draw for an administrator', async () => {
  addUser(db, { name: 'kanri', role: 'admin', password: 'administrator-pass' });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await newPage(context);
  await page.goto(base + '/admin');
  await page.fill('#login-form input[name=name]', 'kanri');
  await page.fill('#login-form input[name=password]', 'administrator-pass');
  await page.click('#login-form button[type=submit]');
  await page.locator('#chart-days canvas').waitFor({ timeout: WAIT_MS });

  await page.click('nav a[data-view=forecast]');
  await page.fill('#forecast-form input[name=event_day]', new Date(Date.now() + 3 * 86400000).toISOString().slice(0, 10));
  await page.fill('#forecast-form input[name=residents]', '20000');
  await page.click('#forecast-form button[type=submit]');
  await page.locator('#chart-forecast canvas').waitFor({ timeout: WAIT_MS });
  assert.ok(await page.locator('#forecast-table tr').count() > 10, 'a row per day');

  await page.click('nav a[data-view=eval]');
  await page.locator('#eval-file').setInputFiles({ name: 'set.tsv', mimeType: 'text/tab-separated-values',
    buffer: Buffer.from('接種券をなくしました\tticket-lost\n宇宙旅行の補助金\t-\n') });
  await page.locator('#eval-table tr').first().waitFor({ timeout: WAIT_MS });
  assert.match(await page.locator('#eval-table').innerText(), /1位正解率/);
  await page.screenshot({ path: join(ARTEFACTS, 'admin-forecast-eval.png'), fullPage: true });
  assert.deepEqual(page.errors, []);
  await context.close();
});

// Logs in through the console's form; waits for the first screen.
async function logIn(page, who) {
  await page.goto(base + '/admin');
  await page.fill('#login-form input[name=name]', who.name);
  await page.fill('#login-form input[name=password]', who.password);
  await page.click('#login-form button[type=submit]');
  await page.locator('#nav').waitFor({ timeout: WAIT_MS });
}

test('the console is in Japanese, every page passes axe, and English is a switch that is remembered', async () => {
  const boss = { name: 'kacho', role: 'admin', password: 'kacho-no-pass-2026' };
  addUser(db, boss);
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'ja-JP' });
  const page = await newPage(context);
  await logIn(page, boss);
  assert.equal(await page.getAttribute('html', 'lang'), 'ja');
  assert.equal(await page.locator('nav a[data-view=dashboard]').innerText(), 'ダッシュボード');
  assert.equal(await page.locator('#logout').innerText(), 'ログアウト');
  for (const view of await page.locator('#nav a').evaluateAll((as) => as.filter((a) => !a.hidden).map((a) => a.dataset.view))) {
    await page.click(`nav a[data-view=${view}]`);
    await page.locator(`#view-${view}`).waitFor();
    await page.waitForLoadState('networkidle');
    const english = await page.locator(`#view-${view}`).evaluate((v) => {
      const words = [];
      const walk = document.createTreeWalker(v, NodeFilter.SHOW_TEXT);
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        const box = n.parentElement;
        if (box.closest('input, textarea, select, code, .mg-preview, td, .u-legend, .muted, .picks, .queue, #entry-title, #who') || box.offsetParent === null) continue;
        if (/[A-Za-z]{4,}/.test(n.textContent) && !/CSV|Excel|UTF|URL|BOM|MRR|CP932/.test(n.textContent)) words.push(n.textContent.trim());
      }
      return words;
    });
    assert.deepEqual(english, [], `${view}: English words on the Japanese page`);
    await axe(page, view + ' (ja)');
  }
  await page.click('#lang');
  await page.locator('nav a[data-view=dashboard]').filter({ hasText: 'Dashboard' }).waitFor({ timeout: WAIT_MS });
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.reload();
  await page.locator('nav a[data-view=dashboard]').filter({ hasText: 'Dashboard' }).waitFor({ timeout: WAIT_MS });
  await page.click('#lang');
  await page.locator('nav a[data-view=dashboard]').filter({ hasText: 'ダッシュボード' }).waitFor({ timeout: WAIT_MS });
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('an administrator disables an account in Japanese: its open session stops working at once', async () => {
  const boss = { name: 'jinji', role: 'admin', password: 'jinji-no-pass-2026' };
  const staff = { name: 'tanaka', role: 'editor', password: 'tanaka-no-pass-2026' };
  addUser(db, boss);
  addUser(db, staff);
  const theirs = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'ja-JP' });
  const them = await newPage(theirs);
  await logIn(them, staff);
  await them.locator('#view-dashboard').waitFor({ timeout: WAIT_MS });

  const mine = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'ja-JP' });
  const page = await newPage(mine);
  await logIn(page, boss);
  await page.click('nav a[data-view=users]');
  const row = page.locator(`#users-list tr[data-user=${staff.name}]`);
  await row.waitFor({ timeout: WAIT_MS });
  assert.equal(await row.locator('.user-state').innerText(), '有効');
  await axe(page, 'users (ja)');
  // a short password is refused, in Japanese, with the limit
  await page.fill('#users-add input[name=name]', 'yamada');
  await page.fill('#users-add input[name=password]', 'short');
  await page.locator('#users-add input[name=password]').evaluate((i) => i.removeAttribute('minlength'));
  await page.click('#users-add button[type=submit]');
  await page.locator('#users-msg').filter({ hasText: 'パスワードは10文字以上にしてください。' }).waitFor({ timeout: WAIT_MS });
  page.errors.length = 0;   // the browser logs the refused request (400)

  await row.locator('button.act-disable').click();
  await page.locator('#users-msg').filter({ hasText: 'tanaka を無効にしました' }).waitFor({ timeout: WAIT_MS });
  assert.equal(await row.locator('.user-state').innerText(), '無効');
  await page.screenshot({ path: join(ARTEFACTS, 'admin-users.png'), fullPage: true });

  // their open console is logged out on its next request
  const s = await them.evaluate(() => fetch('/api/v1/admin/session').then((r) => r.json()));
  assert.equal(s.logged_in, false);
  await them.click('nav a[data-view=queue]');
  await them.locator('#view-login').waitFor({ timeout: WAIT_MS });
  await them.fill('#login-form input[name=name]', staff.name);
  await them.fill('#login-form input[name=password]', staff.password);
  await them.click('#login-form button[type=submit]');
  await them.locator('#login-error').filter({ hasText: 'このアカウントは無効です' }).waitFor({ timeout: WAIT_MS });

  await row.locator('button.act-enable').click();
  await page.locator('#users-msg').filter({ hasText: 'tanaka を有効に戻しました' }).waitFor({ timeout: WAIT_MS });
  assert.deepEqual(page.errors, []);
  await theirs.close();
  await mine.close();
});

test('an editor cannot publish an unknown {{key}}, picks the topic and the town\'s keys, unpublishes and deletes; the administrator reads it all in the audit log', async () => {
  const editor = { name: 'suzuki', role: 'editor', password: 'suzuki-no-pass-2026' };
  const boss = { name: 'kansa', role: 'admin', password: 'kansa-no-pass-2026' };
  addUser(db, editor);
  addUser(db, boss);
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'ja-JP' });
  const page = await newPage(context);
  // a wrong password first: the audit log will show it
  await page.goto(base + '/admin');
  await page.fill('#login-form input[name=name]', editor.name);
  await page.fill('#login-form input[name=password]', 'wrong-password-here');
  await page.click('#login-form button[type=submit]');
  await page.locator('#login-error').filter({ hasText: /違います/ }).waitFor({ timeout: WAIT_MS });
  page.errors.length = 0;
  await logIn(page, editor);
  await page.goto(base + '/admin#entry/new');
  const keys = page.locator('#entry-keys button.key');
  await keys.filter({ hasText: '{{call_center_phone}}' }).waitFor({ timeout: WAIT_MS });
  // the topic from the list brings its category
  await page.locator('#entry-slug option[value=ticket-lost]').waitFor({ state: 'attached', timeout: WAIT_MS });
  await page.selectOption('#entry-slug', 'ticket-lost');
  assert.equal(await page.inputValue('#entry-category'), 'ticket');
  const form = page.locator('#entry-form');
  const question = '接種券の再発行の費用はいくらですか';
  await form.locator('input[name=question]').fill(question);
  await form.locator('textarea[name=answer]').fill('再発行の費用は{{cost_amount}}です。');
  await page.click('#publish');
  await page.locator('#entry-error').filter({ hasText: '回答に使えない差し込み項目 {{cost_amount}} があります' }).waitFor({ timeout: WAIT_MS });
  page.errors.length = 0;   // the refused save (400)
  assert.equal(await form.locator('input[name=id]').inputValue(), '', 'nothing was saved');
  // the town's key, put in by a click, and the preview shows its value
  await form.locator('textarea[name=answer]').fill('再発行は無料です。お問い合わせは');
  await form.locator('textarea[name=answer]').evaluate((a) => a.setSelectionRange(a.value.length, a.value.length));
  await keys.filter({ hasText: '{{call_center_phone}}' }).click();
  assert.equal(await form.locator('textarea[name=answer]').inputValue(), '再発行は無料です。お問い合わせは{{call_center_phone}}');
  await page.locator('#preview .mg-bot').filter({ hasText: '0120-000-123' }).waitFor({ timeout: WAIT_MS });
  await axe(page, 'entry editor (ja)');
  // publishing runs the preview first; a new entry on ticket-lost takes questions from its
  // sibling, and the editor confirms (the preview's own test checks what the dialog says)
  const confirmPublish = (d) => d.accept();
  page.on('dialog', confirmPublish);
  await page.click('#publish');
  await page.locator('#toast').filter({ hasText: '公開しました' }).waitFor({ timeout: WAIT_MS });
  page.off('dialog', confirmPublish);
  const id = await form.locator('input[name=id]').inputValue();
  let live = await fetch(base + '/api/v1/entries/' + id);
  assert.equal(live.status, 200);
  assert.match((await live.json()).answer, /0120-000-123/, 'residents read the number, not the key');
  await page.screenshot({ path: join(ARTEFACTS, 'admin-entry-keys.png'), fullPage: true });

  await page.click('#unpublish');
  await page.locator('#toast').filter({ hasText: '公開をやめました' }).waitFor({ timeout: WAIT_MS });
  live = await fetch(base + '/api/v1/entries/' + id);
  assert.equal(live.status, 404, 'residents no longer get it');
  page.once('dialog', (d) => d.accept());
  await page.click('#entry-delete');
  await page.locator('#toast').filter({ hasText: `${id} を削除しました` }).waitFor({ timeout: WAIT_MS });
  await context.close();

  // The administrator's audit log: the edits by the editor, with before and after.
  const office = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'ja-JP' });
  const admin = await newPage(office);
  await logIn(admin, boss);
  const facetsAsked = [];
  admin.on('request', (r) => { if (/\/api\/v1\/admin\/audit\?.*facets=1/.test(r.url())) facetsAsked.push(r.url()); });
  await admin.click('nav a[data-view=audit]');
  await admin.locator('#audit-filter select[name=who] option[value=suzuki]').waitFor({ state: 'attached', timeout: WAIT_MS });
  // Shows the log with the filters set; resolves once the table is the filtered one.
  const shown = (want) => Promise.all([
    admin.waitForResponse((r) => r.url().includes('/api/v1/admin/audit?')),
    admin.click('#audit-filter button[type=submit]'),
  ]).then(() => admin.waitForFunction((w) => {
    const trs = [...document.querySelectorAll('#audit-list tbody tr')];
    return trs.length > 0 && trs.every((tr) => (!w.who || tr.querySelector('.audit-who').textContent === w.who) &&
      (!w.kind || tr.dataset.kind === w.kind));
  }, want, { timeout: WAIT_MS }));
  await admin.selectOption('#audit-filter select[name=who]', 'suzuki');
  await shown({ who: 'suzuki' });
  const rows = admin.locator('#audit-list tbody tr');
  assert.deepEqual(await rows.locator('.audit-kind').allInnerTexts(), ['項目の削除', '公開の中止', '項目の作成', 'ログイン失敗'], 'newest first; the failed log-in under the name tried');
  const unpub = rows.filter({ hasText: '公開の中止' });
  assert.match(await unpub.locator('.audit-before').innerText(), /"status": "published"/);
  assert.match(await unpub.locator('.audit-after').innerText(), /"status": "draft"/);
  assert.match(await rows.filter({ hasText: '項目の削除' }).locator('.audit-before').innerText(), new RegExp(question));
  // failed log-ins, by kind, under the name tried
  await admin.selectOption('#audit-filter select[name=who]', '');
  await admin.selectOption('#audit-filter select[name=kind]', 'login.failed');
  await shown({ kind: 'login.failed' });
  assert.ok(await rows.filter({ hasText: 'suzuki' }).count() >= 1);
  assert.deepEqual([...new Set(await rows.locator('.audit-kind').allInnerTexts())], ['ログイン失敗']);
  // today only, then the CSV of what is shown, for Excel
  const today = await admin.evaluate(() => new Date(Date.now() + 9 * 3600000).toISOString().slice(0, 10));
  await admin.fill('#audit-filter input[name=day]', today);
  await shown({ kind: 'login.failed' });
  assert.ok(await rows.filter({ hasText: 'suzuki' }).count() >= 1, 'today (in Tokyo) holds the failed log-in');
  assert.equal(facetsAsked.length, 1, 'the filters\' choices are fetched once, not on every filter change');
  await axe(admin, 'audit (ja)');
  await admin.screenshot({ path: join(ARTEFACTS, 'admin-audit.png'), fullPage: true });
  const [download] = await Promise.all([admin.waitForEvent('download'), admin.click('#audit-csv')]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.ok(csv.startsWith('\uFEFF日時,アカウント,種類,対象,変更前,変更後\r\n'), 'BOM and a Japanese header');
  assert.match(csv, /"login\.failed","suzuki"/);
  assert.doesNotMatch(csv, /"entry\.delete"/, 'the CSV has the filters of the page');
  assert.deepEqual(admin.errors, []);
  await office.close();
});

test('a full import by mistake is undone from the console: the replaced knowledge base comes back', async () => {
  const editor = { name: 'watanabe', role: 'editor', password: 'watanabe-no-pass-2026' };
  addUser(db, editor);
  const ask = async (q) => (await fetch(base + '/api/v1/ask', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ question: q }) })).json();
  const LOST = '接種券をなくしました';
  assert.equal((await ask(LOST)).candidates[0]?.slug, TARGET_SLUG);
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'ja-JP' });
  const page = await newPage(context);
  await logIn(page, editor);
  await page.click('nav a[data-view=data]');
  await page.locator('#replaced-list tr').first().waitFor({ timeout: WAIT_MS });
  await page.locator('#import-file').setInputFiles({ name: 'parking.csv', mimeType: 'text/csv',
    buffer: Buffer.from('id,slug,question,answer\n1,parking,駐車場はありますか,あります。\n') });
  await page.click('#import-run');
  await page.locator('#toast').filter({ hasText: '1件をインポートしました' }).waitFor({ timeout: WAIT_MS });
  assert.notEqual((await ask(LOST)).candidates[0]?.slug, TARGET_SLUG, 'the whole knowledge base was replaced');
  const row = page.locator('#replaced-list tr[data-id]').first();
  await row.waitFor({ timeout: WAIT_MS });
  const entries = Number(await row.locator('td').nth(1).innerText());
  assert.ok(entries > 40, 'the replaced one holds the sample\'s entries');
  await axe(page, 'data (ja)');
  page.once('dialog', (d) => d.accept());
  await row.locator('button.act-restore').click();
  await page.locator('#toast').filter({ hasText: `に戻しました（${entries}件）` }).waitFor({ timeout: WAIT_MS });
  assert.equal((await ask(LOST)).candidates[0]?.slug, TARGET_SLUG, 'residents get the entry again');
  // the one-entry import is kept in its turn
  await page.locator('#replaced-list tr[data-id]').first().locator('td').nth(1).filter({ hasText: /^1$/ }).waitFor({ timeout: WAIT_MS });
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('an editor previews a change before publishing: the question it would take from another entry shows as worse, and residents keep the old answer until publish', async () => {
  const editor = { name: 'kobayashi', role: 'editor', password: 'kobayashi-no-pass-2026' };
  addUser(db, editor);
  const MIXED = 'ワクチンの種類を混ぜて大丈夫？';         // a dev-set question of dose-mixing
  const STEAL = MIXED;  // given word for word by mistake to another topic (〜混ぜても大丈夫ですか leaves dose-mixing answered)
  const OTHER = 'health-other-vaccines';
  // A resident asking in the widget, in a browser of their own each time.
  const errors = [];
  const asks = async (q) => {
    const resident = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ja-JP' });
    const widget = await newPage(resident);
    const got = await askInWidget(widget, q);
    got.text = await got.bubble.innerText();
    errors.push(...widget.errors);
    await resident.close();
    return got;
  };
  const first = await asks(MIXED);
  assert.equal(first.json.decision, 'answer');
  assert.equal(first.json.candidates[0].slug, 'dose-mixing');
  const mixing = first.json.answer.answer.split(/\n\s*\n/)[0].trim().split('\n')[0];

  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'ja-JP' });
  const page = await newPage(context);
  await logIn(page, editor);
  await page.goto(base + '/admin#entry/new');
  await page.fill('#entry-search', OTHER);
  const link = page.locator('#entry-list a').filter({ hasText: OTHER }).first();
  await link.waitFor({ timeout: WAIT_MS });
  await link.click();
  const form = page.locator('#entry-form');
  const alts = form.locator('textarea[name=alt_questions]');
  await page.waitForFunction(() => document.querySelector('#entry-form textarea[name=alt_questions]').value !== '', null, { timeout: WAIT_MS });
  assert.equal(await page.inputValue('#entry-slug'), OTHER);
  const panel = page.locator('#entry-compare');
  const worse = panel.locator('ul.compare-worse li').filter({ hasText: `「${MIXED}」` });

  // A preview of the entry as it is: nothing gets worse. An edit after it is another change:
  // publishing previews it anew, and the editor is asked (declined here).
  await page.click('#entry-compare-run');
  await panel.locator('p.up').waitFor({ timeout: 30000 });
  await alts.fill((await alts.inputValue()) + '\n' + STEAL);
  const warned = page.waitForEvent('dialog', { timeout: 30000 });
  await page.click('#publish');
  const dialog = await warned;
  assert.match(dialog.message(), /^この変更で\d+問の答えが悪くなります。それでも公開しますか？$/);
  await dialog.dismiss();
  await worse.waitFor({ timeout: WAIT_MS });

  // 公開前に確認: the labelled set against the edited knowledge base and the published one.
  await page.click('#entry-compare-run');
  await worse.waitFor({ timeout: 30000 });
  assert.match(await worse.innerText(), /正解：dose-mixing/);
  assert.match(await worse.innerText(), /公開中：dose-mixing・回答（正しい）/);
  assert.equal(await worse.evaluate((li) => getComputedStyle(li).color), 'rgb(207, 34, 46)', 'worse questions are red');
  // the worse questions come first, and the totals read before → after
  assert.match(await panel.locator('h4').first().innerText(), /^悪くなる質問：\d+問$/);
  assert.deepEqual(await panel.locator('table.compare-totals tr').first().locator('th').allInnerTexts(), ['', '公開中', '変更後', '差']);
  const answered = panel.locator('table.compare-totals tr').filter({ hasText: '回答した割合' });
  assert.match(await answered.locator('td').nth(2).innerText(), /^-\d/, 'fewer questions answered');
  await page.screenshot({ path: join(ARTEFACTS, 'admin-compare.png'), fullPage: true });
  await axe(page, 'entry editor with the preview of a change (ja)');

  // Nothing was published: the resident still gets dose-mixing's answer.
  const during = await asks(MIXED);
  assert.equal(during.json.decision, 'answer');
  assert.equal(during.json.candidates[0].slug, 'dose-mixing');
  assert.ok(during.text.includes(mixing), 'the bubble shows dose-mixing\'s answer');
  const stored = await (await fetch(base + '/api/v1/entries/' + (await form.locator('input[name=id]').inputValue()))).json();
  assert.ok(!JSON.stringify(stored).includes(STEAL), 'the published entry is as it was');

  // Publishing what made a question worse asks first; declined, nothing changes.
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
  await page.click('#publish');
  assert.match(asked, /^この変更で\d+問の答えが悪くなります。それでも公開しますか？$/);
  assert.equal((await asks(MIXED)).json.decision, 'answer', 'declined: not published');
  page.once('dialog', (d) => d.accept());
  await page.click('#publish');
  await page.locator('#toast').filter({ hasText: '公開しました' }).waitFor({ timeout: WAIT_MS });
  const after = await asks(MIXED);
  assert.ok(after.json.decision !== 'answer' || after.json.candidates[0].slug !== 'dose-mixing',
    'published, the change does what the preview said');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(errors, []);
  await context.close();
});
