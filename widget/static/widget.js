/* madoguchi (窓口): the chat widget a town embeds with one tag,
 *   <script src="https://TOWN-HOST/widget.js" data-lang="ja" async></script>
 * It renders in a shadow root with its own stylesheet, never uses innerHTML,
 * eval or inline styles (it runs under a strict CSP), sets no cookies, and
 * keeps the conversation in sessionStorage so that it survives a reload.
 *
 * Other modules (the booking flow) plug in through window.madoguchi.register:
 *   madoguchi.register('booking', function (view, ctx, mg) { ... });
 * The function fills `view` (an element inside the panel); ctx is what the
 * hand-off carried; mg gives api(), el(), t() and back(). */
(function () {
  'use strict';

  if (window.madoguchi && window.madoguchi.loaded) return;

  /* ---- settings: product decisions, in one place ---- */
  var SUGGEST_DELAY_MS = 250;   // a pause between keystrokes, not every key: few calls
  var SUGGEST_MIN_CHARS = 2;    // one kana matches everything; two start to narrow
  var REQUEST_TIMEOUT_MS = 15000; // a phone on a poor line, then an honest error
  var KEEP_MESSAGES = 40;       // what a reload restores; older turns are dropped
  var QUESTION_MAX = 300;       // characters; the server caps bytes (1,000)
  var FULL_SCREEN = '(max-width: 600px)';  // widget.css draws the panel full screen below this
  var STORE_KEY = 'madoguchi.v1';

  var script = document.currentScript;
  var BASE = new URL(script && script.src ? script.src : '/widget.js', location.href);
  var API = new URL('/api/v1/', BASE).href;

  /* ---- words ---- */
  var WORDS = {
    ja: {
      launcher: 'ワクチンの質問', title: 'ワクチン相談窓口', close: '閉じる',
      other: 'English', otherLang: 'en', otherLabel: 'Switch to English',
      larger: '文字を大きく', normal: '文字を標準に', restart: '最初から',
      furigana: 'ふりがな', easy: 'やさしい日本語', easyMore: 'くわしく読む',
      placeholder: '例：接種券をなくした', inputLabel: '質問',
      send: '送信', popular: 'よくある質問', suggest: '入力候補',
      greeting: 'こんにちは。ワクチン接種についての質問にお答えします。下のボタンを押すか、質問を入力してください。',
      typing: '回答を準備しています', you: 'あなた', bot: '窓口',
      clarify: 'どちらの質問に近いですか？', none: 'どれでもない（電話で相談）',
      rephrase: 'ワクチン接種についてのご質問をどうぞ。ことばを変えて入力するか、よくある質問からお選びください。',
      helpfulQ: 'この回答は役に立ちましたか？', yes: '役に立った', no: '役に立たなかった',
      thanks: 'ご意見ありがとうございます。', more: '詳しく見る', link: '詳しくはこちら',
      book: '予約に進む', call: '電話する', openNow: '受付中', closed: '受付時間外',
      hours: '受付時間', callUs: 'お電話でお問い合わせください。',
      nurse: '体調についてのご心配は、看護師にご相談ください。',
      booking: '予約のお手続き', bookingText: '予約は予約ページまたはお電話でお手続きいただけます。',
      bookingPage: '予約ページを開く', back: 'チャットに戻る',
      error: 'うまく送信できませんでした。時間をおいてもう一度お試しください。',
      busy: '混み合っています。少し時間をおいてからお試しください。',
      phone: '電話',
      bkLogin: '接種券番号と生年月日を入力してください。', bkTicket: '接種券番号（10桁）',
      bkBirth: '生年月日', bkBirthHint: '例：昭和25年4月1日、S25.4.1、1950/4/1', bkLoginBtn: 'ログイン',
      bkVenue: '会場を選ぶ', bkDate: '日付で探す', bkShow: 'この日の空きを見る',
      bkSlots: '空いている時間', bkNoSlots: '空いている枠がありません。', bkPickDay: '日にちを選んでください', bkTimes: '枠',
      bkOtherDay: '別の日を選ぶ', bkWait: '空き待ちに登録する',
      bkLeft: '残り',
      bkConfirmQ: 'この内容で予約しますか？', bkConfirm: '予約を確定する', bkDone: '予約が確定しました。',
      bkMine: 'あなたの予約', bkChange: '予約を変更する', bkCancel: '予約をキャンセルする',
      bkCancelQ: 'この予約をキャンセルしますか？', bkCancelYes: 'キャンセルする', bkCancelled: '予約をキャンセルしました。',
      bkChangeQ: 'この時間に変更しますか？', bkChanged: '予約を変更しました。', bkOffers: '空きが出た枠のご案内',
      bkAccept: 'この枠で予約する', bkBack: '戻る', bkLoading: '読み込んでいます',
      bkBadLogin: '接種券番号または生年月日が正しくありません。',
      bkTooMany: '入力の誤りが続いたため、しばらくログインできません。時間をおいてお試しいただくか、お電話ください。',
      bkRefused: 'この枠は予約できません（満席、または接種の条件に合いません）。',
      bkBadInput: '入力内容をご確認ください。', bkLoginAgain: 'もう一度ログインしてください。',
      /* why the booking core refused, by reason (and a birth date's problem) */
      r_ticket_number: '接種券番号は10桁の数字です。',
      r_birth_date_unreadable: '生年月日を読み取れませんでした。「昭和25年4月1日」「S25.4.1」「1950/4/1」のように入力してください。',
      r_birth_date_no_year: '生まれた年も入力してください（例：昭和25年4月1日）。',
      r_birth_date_no_era: '年は元号をつけて（昭和25年）、または西暦4桁（1950年）で入力してください。',
      r_birth_date_order: '年・月・日の順に入力してください（例：1950/4/1）。',
      r_birth_date_no_such_month: '{month}月という月はありません。',
      r_birth_date_no_such_day: '{year}年{month}月は{days}日までです。',
      r_birth_date_era_range: '{era}は{from}から{to}までです。',
      r_birth_date_era_range_open: '{era}は{from}からです。',
      r_started: 'この時間はすでに始まっています。別の時間を選んでください。',
      r_not_open_yet: 'この日の予約は{date}から受け付けます。',
      r_has_booking: 'すでに予約があります。日時を変える場合は「予約を変更する」を選んでください。',
      r_interval: '次の接種は{date}から受けられます（前回{last_dose}の接種から{days}日あけます）。',
      r_same_product: '次の接種も前回と同じ{product}です。',
      r_full: 'この時間は満席になりました。別の時間を選んでください。',
      r_waiting: 'すでに空き待ちに登録されています。',
      r_seats_free: 'まだ空いている時間があります。その中から予約してください。',
      r_offer_gone: 'このご案内は期限が過ぎたか、すでにお返事をいただいています。',
      r_deadline: 'ご自身での変更・キャンセルは{date}（接種日の{days}日前）の23時59分までです。コールセンターへお電話ください。',
      r_cutoff: 'この時間のWeb予約は{date} {time}で締め切りました。コールセンターへお電話ください。',
      r_contact_required_name_kana: 'お名前（カタカナ）を入力してください。',
      r_contact_required_phone: '電話番号を入力してください。',
      r_contact_required_email: 'メールアドレスを入力してください。',
      r_contact_invalid_name_kana: 'お名前はカタカナで入力してください（例：ミドリ タロウ）。',
      r_contact_invalid_phone: '電話番号は10桁か11桁の数字で入力してください（例：090-1234-5678）。',
      r_contact_invalid_email: 'メールアドレスの形をご確認ください（例：midori@example.jp）。',
      tooLong: '質問は{max}文字までです（いま{n}文字）。短くしてから送ってください。',
      bkNo: '予約番号', bkWhen: '日時', bkWhere: '会場', bkWhat: 'ワクチン', bkBring: '当日の持ち物',
      bkHow: '変更・キャンセルは{date} {time}まで、ここで「予約に進む」からログインしてできます。それより後は、予約番号を添えてコールセンター（{phone}）へお電話ください。',
      bkField_name_kana: 'お名前（カタカナ）', bkField_phone: '電話番号', bkField_email: 'メールアドレス',
      bkOptional: '（任意）', bkRequired: '（必須）',
      bkWaitTitle: '空き待ちの登録', bkWaitHow: '空きが出たら、その枠を{hours}時間お取りしてお知らせします。{hours}時間以内にここでログインし、「この枠で予約する」を押してください。',
      bkWaitContact: 'お知らせの連絡先を入力してください。',
      bkWaitNoContact: '連絡先はお預かりしていません。空きが出ると、ここでログインしたときに表示されます。',
      bkWaitTo: '空き待ちに登録しました。空きが出たら {to} にお知らせします。{hours}時間以内にここでログインして予約してください。',
      bkWaitHere: '空き待ちに登録しました。空きが出たら、ここでログインしたときにお知らせします（{hours}時間お取りします）。'
    },
    en: {
      launcher: 'Vaccine questions', title: 'Vaccine help desk', close: 'Close',
      other: '日本語', otherLang: 'ja', otherLabel: '日本語に切り替える',
      larger: 'Larger text', normal: 'Normal text', restart: 'Start over',
      placeholder: 'e.g. I lost my ticket', inputLabel: 'Question',
      send: 'Send', popular: 'Common questions', suggest: 'Suggestions',
      greeting: 'Hello. I answer questions about vaccinations. Choose a question below or type your own.',
      typing: 'Preparing an answer', you: 'You', bot: 'Help desk',
      clarify: 'Which of these is closest to your question?', none: 'None of these (call us)',
      rephrase: 'Please ask about vaccinations. Try other words, or choose a common question.',
      helpfulQ: 'Was this answer helpful?', yes: 'Helpful', no: 'Not helpful',
      thanks: 'Thank you for your feedback.', more: 'More details', link: 'More information',
      book: 'Go to booking', call: 'Call', openNow: 'Open now', closed: 'Closed now',
      hours: 'Hours', callUs: 'Please call us.',
      nurse: 'If you are worried about your health, please talk to a nurse.',
      booking: 'Booking', bookingText: 'You can book on the booking page or by phone.',
      bookingPage: 'Open the booking page', back: 'Back to the chat',
      error: 'Your question could not be sent. Please try again in a moment.',
      busy: 'We are busy. Please try again in a moment.',
      phone: 'Phone',
      bkLogin: 'Enter your ticket number and date of birth.', bkTicket: 'Ticket number (10 digits)',
      bkBirth: 'Date of birth', bkBirthHint: 'e.g. 1950/4/1, 1 April 1950 or S25.4.1', bkLoginBtn: 'Log in',
      bkVenue: 'Choose a venue', bkDate: 'Search by date', bkShow: 'Show free times on this day',
      bkSlots: 'Free times', bkNoSlots: 'There are no free times.', bkPickDay: 'Choose a day', bkTimes: 'times',
      bkOtherDay: 'Choose another day', bkWait: 'Join the waiting list',
      bkLeft: 'left',
      bkConfirmQ: 'Book this time?', bkConfirm: 'Confirm booking', bkDone: 'Your booking is confirmed.',
      bkMine: 'Your booking', bkChange: 'Change booking', bkCancel: 'Cancel booking',
      bkCancelQ: 'Cancel this booking?', bkCancelYes: 'Cancel it', bkCancelled: 'Your booking is cancelled.',
      bkChangeQ: 'Change to this time?', bkChanged: 'Your booking is changed.', bkOffers: 'A seat is free for you',
      bkAccept: 'Book this time', bkBack: 'Back', bkLoading: 'Loading',
      bkBadLogin: 'The ticket number or date of birth is not correct.',
      bkTooMany: 'Too many attempts. Please wait and try again later, or call us.',
      bkRefused: 'This time cannot be booked (it is full, or the vaccination rules do not allow it).',
      bkBadInput: 'Please check what you entered.', bkLoginAgain: 'Please log in again.',
      r_ticket_number: 'The ticket number has 10 digits.',
      r_birth_date_unreadable: 'The date of birth could not be read. Write it like 1950/4/1, 1 April 1950 or S25.4.1.',
      r_birth_date_no_year: 'Please add the year of birth, e.g. 1950/4/1.',
      r_birth_date_no_era: 'Write the year with four digits (1950) or with its era (S25).',
      r_birth_date_order: 'Write the year first, e.g. 1950/4/1.',
      r_birth_date_no_such_month: 'There is no month {month}.',
      r_birth_date_no_such_day: 'That month has only {days} days.',
      r_birth_date_era_range: 'The {era} era ran from {from} to {to}.',
      r_birth_date_era_range_open: 'The {era} era began on {from}.',
      r_started: 'This time has already started. Please choose another.',
      r_not_open_yet: 'Bookings for this day open on {date}.',
      r_has_booking: 'You already have a booking. To move it, choose "Change booking".',
      r_interval: 'Your next dose can be from {date} ({days} days after your last dose on {last_dose}).',
      r_same_product: 'Your next dose must be {product}, the same as your last one.',
      r_full: 'This time is now full. Please choose another.',
      r_waiting: 'You are already on the waiting list.',
      r_seats_free: 'There are still free times. Please book one of them.',
      r_offer_gone: 'This offer has expired or was already answered.',
      r_deadline: 'You could change or cancel online until 23:59 on {date} ({days} days before). Please call the call centre.',
      r_cutoff: 'Online booking for this time closed at {time} on {date}. Please call the call centre.',
      r_contact_required_name_kana: 'Please enter your name in katakana.',
      r_contact_required_phone: 'Please enter your phone number.',
      r_contact_required_email: 'Please enter your e-mail address.',
      r_contact_invalid_name_kana: 'Please write your name in katakana (e.g. ミドリ タロウ).',
      r_contact_invalid_phone: 'A phone number has 10 or 11 digits (e.g. 090-1234-5678).',
      r_contact_invalid_email: 'Please check the e-mail address (e.g. midori@example.jp).',
      tooLong: 'A question can be up to {max} characters (now {n}). Please shorten it before sending.',
      bkNo: 'Booking number', bkWhen: 'Date and time', bkWhere: 'Venue', bkWhat: 'Vaccine', bkBring: 'What to bring',
      bkHow: 'You can change or cancel it here (Go to booking, then log in) until {time} on {date}. After that, please call the call centre ({phone}) with your booking number.',
      bkField_name_kana: 'Name in katakana', bkField_phone: 'Phone number', bkField_email: 'E-mail address',
      bkOptional: ' (optional)', bkRequired: ' (required)',
      bkWaitTitle: 'Join the waiting list', bkWaitHow: 'When a seat is free, we hold it for you for {hours} hours and tell you. Log in here within {hours} hours and press "Book this time".',
      bkWaitContact: 'How should we tell you?',
      bkWaitNoContact: 'The town keeps no contact details: a free seat shows here when you log in.',
      bkWaitTo: 'You are on the waiting list. When a seat is free we will tell you at {to}. Log in here within {hours} hours to book it.',
      bkWaitHere: 'You are on the waiting list. When a seat is free it shows here when you log in (held for {hours} hours).'
    }
  };

  /* ---- state, kept in sessionStorage (never cookies) ---- */
  var state = load() || {
    lang: (script && script.getAttribute('data-lang')) === 'en' ? 'en' : 'ja',
    large: false, open: false, conversation: null, messages: [], furigana: false, easy: false
  };
  function load() {
    try {
      var s = JSON.parse(sessionStorage.getItem(STORE_KEY));
      return s && Array.isArray(s.messages) ? s : null;
    } catch (e) { return null; }
  }
  function save() {
    state.messages = state.messages.slice(-KEEP_MESSAGES);
    try { sessionStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* private mode: live on */ }
  }
  function t(key) { return WORDS[state.lang][key]; }

  /* ---- DOM without innerHTML: text is always text ---- */
  function el(tag, attrs, kids) {
    var n = document.createElement(tag);
    for (var k in attrs || {}) {
      if (attrs[k] === null || attrs[k] === undefined || attrs[k] === false) continue;
      if (k === 'text') n.textContent = attrs[k];
      else if (k === 'class') n.className = attrs[k];
      else if (k.slice(0, 2) === 'on') n.addEventListener(k.slice(2), attrs[k]);
      else n.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
    }
    (kids || []).forEach(function (c) {
      if (c !== null && c !== undefined) n.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return n;
  }
  function safeHref(url) {
    try {
      var u = new URL(url, location.href);
      return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
    } catch (e) { return null; }
  }
  function telHref(phone) { return 'tel:' + String(phone).replace(/[^0-9+]/g, ''); }

  /* URLs and phone numbers in server text become links; the rest stays text.
   * A URL is ASCII (RFC 3986): it ends at the first character a URL cannot
   * hold (「…/gomi/をご覧ください」 ends before を), less the punctuation that
   * ends the sentence around it and a bracket it did not open. */
  var LINKABLE = /(https?:\/\/[\w\-.~:\/?#\[\]@!$&'()*+,;=%]+)|(0\d{1,4}-\d{1,4}-\d{3,4})/g;
  function urlEnd(u) {
    for (var c; (c = u.slice(-1)) && /[.,;:!?'*)\]]/.test(c); u = u.slice(0, -1)) {
      var open = c === ')' ? '(' : c === ']' ? '[' : null;
      if (open && u.split(open).length >= u.split(c).length) break;  // (…) of the URL's own
    }
    return u;
  }
  /* text (which starts at offset off of the text the segments of ruby
   * read) with links; with furigana on, readings over its kanji. */
  function richText(parent, text, ruby, off) {
    var pos = off || 0;
    String(text).split('\n').forEach(function (line, i) {
      if (i) parent.appendChild(el('br'));
      var at = 0, m, start = pos;
      pos += line.length + 1;
      function plain(a, b) { withRuby(parent, line.slice(a, b), ruby, start + a); }
      LINKABLE.lastIndex = 0;
      while ((m = LINKABLE.exec(line))) {
        var shown = m[1] ? urlEnd(m[1]) : m[0];
        if (m.index > at) plain(at, m.index);
        var href = m[1] ? safeHref(shown) : telHref(m[2]);
        parent.appendChild(href
          ? el('a', { href: href, target: m[1] ? '_blank' : null, rel: m[1] ? 'noopener noreferrer' : null, text: shown })
          : document.createTextNode(shown));
        at = LINKABLE.lastIndex = m.index + shown.length;
      }
      if (at < line.length) plain(at, line.length);
    });
    return parent;
  }

  /* The server's reading segments of a text ([{t, r}], r over kanji only)
   * as spans of it, when furigana is on and they read the text exactly. */
  function rubySpans(text, segs) {
    if (!state.furigana || state.lang !== 'ja' || !Array.isArray(segs)) return null;
    var at = 0, out = segs.map(function (s) { var x = { a: at, t: String(s.t), r: s.r }; at += x.t.length; return x; });
    return out.map(function (s) { return s.t; }).join('') === String(text) ? out : null;
  }
  /* s, at offset off of the text the spans read: <ruby> where a whole segment with a reading is. */
  function withRuby(parent, s, spans, off) {
    if (!spans) return parent.appendChild(document.createTextNode(s));
    var end = off + s.length;
    spans.forEach(function (x) {
      var a = Math.max(x.a, off), b = Math.min(x.a + x.t.length, end);
      if (a >= b) return;
      parent.appendChild(x.r && a === x.a && b === x.a + x.t.length
        ? el('ruby', {}, [x.t, el('rt', { text: x.r })])
        : document.createTextNode(x.t.slice(a - x.a, b - x.a)));
    });
  }
  /* A bot text with its readings: a question on a button, a choice. */
  function rubyText(parent, text, ruby) {
    withRuby(parent, String(text || ''), rubySpans(text, ruby), 0);
    return parent;
  }

  /* ---- the API ---- */
  function api(path, body, headers) {
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, REQUEST_TIMEOUT_MS);
    var opts = { credentials: 'omit', signal: ctl.signal, headers: headers || {} };
    if (body !== undefined) {
      opts.method = 'POST';
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(API + path, opts).then(function (r) {
      clearTimeout(timer);
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) { var e = new Error((j.error && j.error.message) || r.statusText); e.status = r.status; e.detail = j.error; throw e; }
        return j;
      });
    }, function (e) { clearTimeout(timer); throw e; });
  }

  /* What the resident does that the server would not otherwise see — a
   * choice from a clarification, a tap on a phone number or on a way out of
   * the chat — goes to the event log for the staff's figures: words from a
   * fixed list and the conversation id, nothing the resident typed. A tap
   * before the first question starts a conversation. A lost event costs a
   * figure, never the resident's step. */
  function record(ev) {
    if (state.conversation) ev.conversation = state.conversation;
    api('event', ev).then(function (r) {
      if (!state.conversation && r.conversation) { state.conversation = r.conversation; save(); }
    }, function () {});
  }

  /* The line a phone number belongs to (the booking line may give the call
   * centre's number: a tap on it is a call to the call centre); another
   * number is another office's. */
  function phoneRoute(href) {
    var digits = String(href).replace(/[^0-9]/g, '');
    var routes = ['call_center', 'nurse', 'booking'];
    for (var i = 0; i < routes.length; i++) {
      var l = line(routes[i]);
      if (l && l.phone && String(l.phone).replace(/[^0-9]/g, '') === digits) return routes[i];
    }
    return 'elsewhere';
  }

  /* Every tap on a tel: link, and on an element marked with the hand-off it
   * is (data-route, data-channel), wherever it is drawn: the call bar, a
   * card, an answer's text, a message restored after a reload. */
  function onTap(e) {
    var n = e.target.closest && e.target.closest('a, button');
    if (!n || n.disabled) return;
    var href = n.getAttribute('href') || '';
    if (href.slice(0, 4) === 'tel:')
      record({ type: 'handoff_clicked', channel: 'phone', route: phoneRoute(href) });
    else if (n.getAttribute('data-channel'))
      record({ type: 'handoff_clicked', channel: n.getAttribute('data-channel'), route: n.getAttribute('data-route') });
  }

  /* ---- the frame: host, shadow root, stylesheet ---- */
  var host = el('div', { id: 'madoguchi-widget' });
  var root = host.attachShadow({ mode: 'open' });
  var frame = el('div', { class: 'mg', hidden: true });
  var css = el('link', { rel: 'stylesheet', href: new URL('widget.css', BASE).href });
  css.addEventListener('load', function () { frame.hidden = false; });
  css.addEventListener('error', function () { frame.hidden = false; });
  root.appendChild(css);
  root.appendChild(frame);
  frame.addEventListener('click', onTap, true);

  var config = null;  // GET /config: town name and phone lines
  var ui = {};        // the elements rebuilt when the language changes
  var busy = false, composing = false, suggestSeq = 0, suggestTimer = null;

  function build() {
    frame.textContent = '';
    frame.className = 'mg' + (state.large ? ' mg-large' : '');
    frame.setAttribute('lang', state.lang);
    ui.launcher = el('button', {
      class: 'mg-launcher', type: 'button', 'aria-expanded': String(state.open),
      'aria-controls': 'mg-panel', onclick: function () { setOpen(!state.open); }
    }, [el('span', { class: 'mg-launcher-icon', 'aria-hidden': 'true', text: '💬' }), t('launcher')]);

    ui.title = el('h2', { id: 'mg-title', class: 'mg-title', text: townTitle() });
    ui.callbar = el('p', { class: 'mg-callbar' });
    ui.log = el('div', { class: 'mg-log', role: 'log', 'aria-live': 'polite', 'aria-labelledby': 'mg-title' });
    ui.suggest = el('div', { class: 'mg-suggest', role: 'group', 'aria-label': t('suggest'), hidden: true });
    /* No maxlength: a browser cuts a paste there without a word. Over the
     * limit, a message says so and nothing is sent until it is shorter. */
    ui.input = el('textarea', {
      class: 'mg-input', rows: '1', 'aria-label': t('inputLabel'), 'aria-describedby': 'mg-limit',
      placeholder: t('placeholder'), enterkeyhint: 'send'
    });
    ui.limit = el('p', { id: 'mg-limit', class: 'mg-limit mg-error', 'aria-live': 'polite' });
    ui.input.addEventListener('keydown', onKey);
    ui.input.addEventListener('compositionstart', function () { composing = true; });
    ui.input.addEventListener('compositionend', function () { composing = false; });
    ui.input.addEventListener('input', onType);
    var form = el('form', { class: 'mg-form', onsubmit: function (e) { e.preventDefault(); send(ui.input.value); } }, [
      ui.input, el('button', { class: 'mg-send', type: 'submit', text: t('send') })
    ]);
    ui.chat = el('div', { class: 'mg-chat' }, [ui.log, ui.suggest, ui.limit, form]);
    /* The booking panel is a modal dialog inside the chat's: focus moves in,
     * Tab stays in it, Escape closes it and focus goes back to its opener. */
    ui.view = el('section', { class: 'mg-view', role: 'dialog', 'aria-modal': 'true', hidden: true, 'aria-labelledby': 'mg-view-title' });
    ui.view.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') { e.stopPropagation(); closeView(); }
      else if (e.key === 'Tab') { e.stopPropagation(); trapTab(ui.view, e); }
    });

    var tools = el('div', { class: 'mg-tools' }, [
      el('button', { type: 'button', class: 'mg-tool', lang: t('otherLang'), 'aria-label': t('otherLabel'), text: t('other'), onclick: switchLang }),
      el('button', { type: 'button', class: 'mg-tool', 'aria-pressed': String(state.large), text: t('larger'), onclick: toggleLarge }),
      el('button', { type: 'button', class: 'mg-tool', text: t('restart'), onclick: restart })
    ].concat(state.lang === 'ja' ? [
      /* Japanese only: readings over the kanji, the short answer in plain Japanese */
      el('button', { type: 'button', class: 'mg-tool', 'aria-pressed': String(!!state.furigana), text: t('furigana'), onclick: toggle('furigana') }),
      el('button', { type: 'button', class: 'mg-tool', 'aria-pressed': String(!!state.easy), text: t('easy'), onclick: toggle('easy') })
    ] : []));
    var close = el('button', { type: 'button', class: 'mg-tool mg-close', 'aria-label': t('close'), text: '×', onclick: function () { setOpen(false); } });
    ui.panel = el('div', {
      id: 'mg-panel', class: 'mg-panel', role: 'dialog', 'aria-labelledby': 'mg-title', hidden: !state.open,
      'aria-modal': fullScreen() ? 'true' : null
    }, [el('div', { class: 'mg-head' }, [ui.title, close, tools]), ui.callbar, ui.chat, ui.view]);
    /* On a phone the panel covers the page: a modal, Tab stays inside. */
    ui.panel.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') setOpen(false);
      else if (e.key === 'Tab' && fullScreen()) trapTab(ui.panel, e);
    });

    frame.appendChild(ui.panel);
    frame.appendChild(ui.launcher);
    renderCallbar();
    renderLog();
  }

  function fullScreen() { return window.matchMedia(FULL_SCREEN).matches; }
  /* Tab from the last control goes to the first, Shift+Tab from the first to the last. */
  function trapTab(box, e) {
    var all = Array.prototype.filter.call(box.querySelectorAll(
      'a[href], button:not([disabled]), input:not([disabled]), textarea, select, summary, [tabindex="0"]'),
      function (n) { return n.getClientRects().length > 0; });
    if (!all.length) return;
    var first = all[0], last = all[all.length - 1], at = root.activeElement;
    if (e.shiftKey && (at === first || all.indexOf(at) < 0)) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && (at === last || all.indexOf(at) < 0)) { e.preventDefault(); first.focus(); }
  }

  function townTitle() {
    var name = config && (typeof config.town === 'string' ? config.town : config.town && config.town.name);
    return name ? name + ' ' + t('title') : t('title');
  }

  /* The call centre is always one tap away. */
  function line(route) {
    var lines = config && config.lines;
    if (Array.isArray(lines)) return lines.filter(function (l) { return l.route === route; })[0] || null;
    return lines ? lines[route] || null : null;
  }
  function renderCallbar() {
    ui.callbar.textContent = '';
    var cc = line('call_center');
    if (!cc || !cc.phone) { ui.callbar.hidden = true; return; }
    ui.callbar.hidden = false;
    ui.callbar.appendChild(document.createTextNode((cc.label || t('phone')) + ': '));
    ui.callbar.appendChild(el('a', { href: telHref(cc.phone), class: 'mg-nowrap', text: cc.phone }));
    ui.callbar.appendChild(el('span', { class: cc.phone_open_now ? 'mg-open' : 'mg-shut', text: ' ' + (cc.phone_open_now ? t('openNow') : t('closed')) }));
  }

  function loadConfig() {
    return api('config?lang=' + state.lang).then(function (c) {
      config = c;
      ui.title.textContent = townTitle();
      renderCallbar();
    }, function () { /* the widget works without it */ });
  }

  /* ---- opening, language, text size ---- */
  function setOpen(open) {
    state.open = open;
    save();
    ui.panel.hidden = !open;
    ui.launcher.setAttribute('aria-expanded', String(open));
    frame.classList.toggle('mg-is-open', open);
    if (open) {
      if (!config) loadConfig();
      if (!state.messages.length) renderLog();
      fitViewport();
      ui.input.focus();
    } else {
      ui.launcher.focus();
    }
  }
  function switchLang() {
    state.lang = t('otherLang');
    save();
    config = null;
    build();
    loadConfig();
    ui.panel.querySelector('.mg-tool').focus();
  }
  function toggleLarge() {
    state.large = !state.large;
    save();
    frame.classList.toggle('mg-large', state.large);
    this.setAttribute('aria-pressed', String(state.large));
  }
  /* ふりがな and やさしい日本語 are kept like the language; the conversation is drawn again with them. */
  function toggle(key) {
    return function () {
      state[key] = !state[key];
      save();
      this.setAttribute('aria-pressed', String(state[key]));
      renderLog();
    };
  }
  /* Japanese texts come with their readings, whether shown now or after a tap on ふりがな. */
  function rubyArg() { return state.lang === 'ja' ? '&ruby=1' : ''; }
  function restart() {
    state.messages = [];
    state.conversation = null;
    save();
    closeView();
    renderLog();
    ui.input.focus();
  }

  /* On phones the panel is full screen; the on-screen keyboard shrinks the
   * visual viewport, and the panel follows it so the input stays in sight. */
  function fitViewport() {
    var vv = window.visualViewport;
    if (!vv) return;
    host.style.setProperty('--mg-vh', vv.height + 'px');
    host.style.setProperty('--mg-top', vv.offsetTop + 'px');
  }
  if (window.visualViewport) {
    window.visualViewport.addEventListener('resize', fitViewport);
    window.visualViewport.addEventListener('scroll', fitViewport);
  }

  /* ---- the conversation ---- */
  function renderLog() {
    ui.log.textContent = '';
    ui.log.appendChild(botBubble([el('p', { text: t('greeting') })]));
    if (!state.messages.length) showPopular();
    state.messages.forEach(function (m) { ui.log.appendChild(render(m)); });
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function showPopular() {
    ui.log.appendChild(popularBox());
  }

  function popularBox() {
    var box = el('div', { class: 'mg-popular', role: 'group', 'aria-label': t('popular') }, [
      el('p', { class: 'mg-label', text: t('popular') })
    ]);
    api('popular?lang=' + state.lang + rubyArg()).then(function (j) {
      (j.popular || []).forEach(function (q) {
        box.appendChild(rubyText(el('button', { type: 'button', class: 'mg-chip', onclick: function () { send(q.question); } }), q.question, q.ruby && q.ruby.question));
      });
    }, function () { box.remove(); });
    return box;
  }

  function botBubble(kids) {
    return el('div', { class: 'mg-msg mg-bot', tabindex: '-1' }, [
      el('span', { class: 'mg-who', text: t('bot') + ': ' })].concat(kids));
  }

  /* A message is data ({who, kind, data}); render() is the only way it
   * becomes DOM, both when it arrives and when a reload restores it. */
  function render(m) {
    if (m.who === 'user')
      return el('div', { class: 'mg-msg mg-user' }, [el('span', { class: 'mg-who', text: t('you') + ': ' }), el('p', { text: m.text })]);
    if (m.kind === 'answer') return renderAnswer(m);
    if (m.kind === 'clarify') return renderClarify(m);
    if (m.kind === 'handoff') return botBubble([handoffCard(m.data)]);
    if (m.kind === 'rephrase') return botBubble([el('p', { text: t('rephrase') }), popularBox()]);
    if (m.kind === 'booking') return botBubble([el('p', { class: 'mg-card-title', text: m.text }), bookingCard(m.data)]);
    if (m.kind === 'note') return botBubble([el('p', { text: m.text })]);
    return botBubble([el('p', { class: 'mg-error', text: m.text })]);
  }

  /* A text's paragraphs (split at blank lines) with the offset each starts at. */
  function paragraphs(text) {
    var out = [], re = /\n\s*\n/g, at = 0, m;
    while ((m = re.exec(text))) { out.push({ s: text.slice(at, m.index), a: at }); at = re.lastIndex; }
    out.push({ s: text.slice(at), a: at });
    return out;
  }
  function renderAnswer(m) {
    var a = m.data || {}, ruby = a.ruby || {};
    var text = String(a.answer || ''), spans = rubySpans(text, ruby.answer);
    var parts = paragraphs(text);
    var kids = [richText(el('p'), parts[0].s, spans, parts[0].a)];
    if (parts.length > 1) {
      var details = el('details', { class: 'mg-more' }, [el('summary', { text: t('more') })]);
      parts.slice(1).forEach(function (p) { details.appendChild(richText(el('p'), p.s, spans, p.a)); });
      kids.push(details);
    }
    /* やさしい日本語: the short plain answer first, the full one a tap away */
    if (state.easy && state.lang === 'ja' && a.answer_easy) {
      var easy = String(a.answer_easy);
      kids = [richText(el('p', { class: 'mg-easy' }), easy, rubySpans(easy, ruby.answer_easy), 0),
        el('details', { class: 'mg-more' }, [el('summary', { text: t('easyMore') })].concat(kids))];
    }
    var href = a.url && safeHref(a.url);
    if (href) kids.push(el('p', {}, [el('a', { href: href, target: '_blank', rel: 'noopener noreferrer', text: t('link') })]));
    var h = wayOn(m.handoff);
    if (h) kids.push(handoffCard(h));
    kids.push(feedback(m));
    return botBubble(kids);
  }

  /* An answer (or choices) about booking carries the way into booking with
   * it, one about health the nurse line; the call centre is already in the
   * call bar. */
  function wayOn(h) {
    return h && (h.route === 'booking' || h.route === 'nurse') ? h : null;
  }

  function feedback(m) {
    var box = el('div', { class: 'mg-feedback', role: 'group', 'aria-label': t('helpfulQ') });
    if (m.helpful !== undefined) {
      box.appendChild(el('p', { text: t('thanks') }));
      return box;
    }
    function vote(helpful) {
      return function () {
        m.helpful = helpful;
        save();
        api('feedback', { conversation: state.conversation, entry: String(m.data.id), helpful: helpful }).catch(function () {});
        box.textContent = '';
        box.appendChild(el('p', { tabindex: '-1', text: t('thanks') }));
        box.firstChild.focus();
      };
    }
    box.appendChild(el('span', { class: 'mg-label', text: t('helpfulQ') }));
    box.appendChild(el('button', { type: 'button', class: 'mg-vote', 'aria-label': t('yes'), title: t('yes'), text: '👍', onclick: vote(true) }));
    box.appendChild(el('button', { type: 'button', class: 'mg-vote', 'aria-label': t('no'), title: t('no'), text: '👎', onclick: vote(false) }));
    return box;
  }

  function renderClarify(m) {
    var box = el('div', { class: 'mg-choices', role: 'group', 'aria-label': t('clarify') });
    (m.data || []).forEach(function (c) {
      box.appendChild(rubyText(el('button', {
        type: 'button', class: 'mg-chip', disabled: m.chosen !== undefined,
        'aria-pressed': m.chosen === c.id ? 'true' : null,
        onclick: function () {
          settle(this, c.id);
          record({ type: 'clarify_chosen', entry: String(c.id) });
          choose(c);
        }
      }), c.question, c.ruby && c.ruby.question));
    });
    box.appendChild(el('button', {
      type: 'button', class: 'mg-chip mg-none', text: t('none'), disabled: m.chosen !== undefined,
      'aria-pressed': m.chosen === null ? 'true' : null,
      onclick: function () {
        settle(this, null);
        /* The server names the line: the nurse line for a health worry at night. */
        var h = m.none || line('call_center') || { route: 'call_center' };
        record({ type: 'handoff_shown', route: h.route || 'call_center' });
        add({ who: 'bot', kind: 'handoff', data: h });
      }
    }));
    /* One choice per question: the others are disabled, the choice marked. */
    function settle(button, id) {
      m.chosen = id;
      save();
      box.querySelectorAll('button').forEach(function (b) { b.disabled = true; });
      button.setAttribute('aria-pressed', 'true');
    }
    var h = wayOn(m.handoff);
    return botBubble(h ? [el('p', { text: t('clarify') }), box, handoffCard(h)] : [el('p', { text: t('clarify') }), box]);
  }

  /* A chosen clarification shows that exact entry, not a new search. */
  function choose(c) {
    add({ who: 'user', text: c.question });
    waiting(true);
    api('entries/' + encodeURIComponent(c.id) + '?lang=' + state.lang + rubyArg()).then(function (e) {
      waiting(false);
      add({ who: 'bot', kind: 'answer', data: e, handoff: e.route ? line(e.route) : null });
    }, failed);
  }

  function handoffCard(h) {
    h = h || {};
    var route = h.route || 'call_center';
    if (route === 'elsewhere') return elsewhereCard(h);
    var card = el('div', { class: 'mg-card mg-' + route }, [
      el('p', { class: 'mg-card-title', text: h.label || (route === 'booking' ? t('booking') : t('phone')) })
    ]);
    if (route === 'nurse') card.appendChild(el('p', { text: t('nurse') }));
    if (route === 'call_center') card.appendChild(el('p', { text: t('callUs') }));
    if (route === 'booking')
      card.appendChild(el('button', { type: 'button', class: 'mg-primary', text: t('book'), 'data-route': 'booking', 'data-channel': 'booking',
        onclick: function () { openBooking({ handoff: h }); } }));
    if (h.phone) {
      card.appendChild(el('a', { class: 'mg-tel', href: telHref(h.phone) }, [
        el('span', { 'aria-hidden': 'true', text: '📞 ' }), t('call') + ' ', el('span', { class: 'mg-nowrap', text: h.phone })]));
      /* The phone's own hours, never a web page's: a booking page open all
       * night does not make the call centre's number open at night. */
      var when = h.phone_open_now ? t('openNow') : t('closed');
      var hours = h.phone_opens_at ? ' · ' + h.phone_opens_at : (h.phone_hours ? ' · ' + t('hours') + ' ' + h.phone_hours : '');
      card.appendChild(el('p', { class: h.phone_open_now ? 'mg-open' : 'mg-shut', text: when + hours }));
    }
    return card;
  }

  /* A day as residents read it: 12月3日(木), Thu 3 December. */
  function dayOf(iso, year) {
    var d = new Date(iso + 'T00:00:00'), o = { month: 'long', day: 'numeric', weekday: 'short' };
    if (year) o.year = 'numeric';
    return isNaN(d) ? iso : d.toLocaleDateString(state.lang === 'en' ? 'en-GB' : 'ja-JP', o);
  }
  function endOf(start, minutes) {
    var m = parseInt(start, 10) * 60 + parseInt(start.slice(-2), 10) + (minutes || 0);
    return ('0' + Math.floor(m / 60) % 24).slice(-2) + ':' + ('0' + m % 60).slice(-2);
  }
  /* A name in the resident's language, the town's Japanese where it gave no other. */
  function nm(x, k) { return state.lang === 'en' && x[k + '_en'] || x[k] || ''; }

  /* What a resident needs of a booking, in the panel and kept in the chat:
   * d = {b: the reservation, bring: the town's list, phone: the call centre}. */
  function bookingCard(d) {
    var b = d.b || {}, bring = d.bring || [];
    function row(label, kids) { return [el('dt', { text: label }), el('dd', {}, kids)]; }
    var dl = el('dl', { class: 'mg-bk-facts' }, [].concat(
      row(t('bkNo'), [el('span', { class: 'mg-nowrap mg-bk-no', text: String(b.id) })]),
      row(t('bkWhen'), [dayOf(b.date) + ' ' + b.start + (b.minutes ? '〜' + endOf(b.start, b.minutes) : '')]),
      row(t('bkWhere'), [nm(b, 'venue_name'), nm(b, 'address') ? el('br') : null, nm(b, 'address')]),
      row(t('bkWhat'), [nm(b, 'product_name') || b.product])));
    var kids = [dl];
    if (bring.length) {
      kids.push(el('p', { class: 'mg-card-title', text: t('bkBring') }));
      kids.push(el('ul', { class: 'mg-bk-bring' }, bring.map(function (x) { return el('li', { text: x }); })));
    }
    /* Until the end of the deadline's day; a town without a deadline, until the slot starts. */
    if (b.change_until)
      kids.push(el('p', { class: 'mg-bk-how', text: t('bkHow').replace('{date}', dayOf(b.change_until, true))
        .replace('{time}', b.change_until === b.date ? b.start : '23:59').replace('{phone}', d.phone || '') }));
    return el('div', { class: 'mg-card mg-bk-card' }, kids);
  }
  function bookingData(b) {
    var cc = line('call_center');
    return { b: b, bring: (config && config.bring) || [], phone: cc && cc.phone };
  }
  /* Kept in the conversation without taking the focus from the panel. */
  function note(m) {
    state.messages.push(m);
    save();
    ui.log.appendChild(render(m));
  }

  /* A question for another town office (or a greeting): the entry's own
   * words say which office and how to reach it. */
  function elsewhereCard(h) {
    var card = el('div', { class: 'mg-card mg-elsewhere' }, [
      richText(el('p'), String(h.answer || '').split(/\n\s*\n/)[0])
    ]);
    var href = h.url && safeHref(h.url);
    if (href) card.appendChild(el('a', { href: href, target: '_blank', rel: 'noopener noreferrer', text: t('link') }));
    /* Its pages are the way to that office (its numbers are no line's). */
    card.querySelectorAll('a[target]').forEach(function (a) {
      a.setAttribute('data-route', 'elsewhere');
      a.setAttribute('data-channel', 'web');
    });
    return card;
  }

  function add(m) {
    state.messages.push(m);
    save();
    var node = render(m);
    ui.log.appendChild(node);
    ui.log.scrollTop = ui.log.scrollHeight;
    if (m.who === 'bot') node.focus();  // screen readers and keyboards land on the answer
    return node;
  }

  function waiting(on) {
    busy = on;
    if (ui.typing) { ui.typing.remove(); ui.typing = null; }
    if (on) {
      ui.typing = el('div', { class: 'mg-msg mg-bot mg-typing', role: 'status' }, [
        el('span', { class: 'mg-dots', 'aria-hidden': 'true' }, [el('span'), el('span'), el('span')]),
        el('span', { class: 'mg-sr', text: t('typing') })
      ]);
      ui.log.appendChild(ui.typing);
      ui.log.scrollTop = ui.log.scrollHeight;
    }
  }

  function failed(e) {
    waiting(false);
    add({ who: 'bot', kind: 'error', text: e && e.status === 429 ? t('busy') : t('error') });
  }

  function send(text) {
    var q = String(text || '').trim();
    if (!q || busy) return;
    if (text === ui.input.value && tooLong()) { ui.input.focus(); return; }
    ui.input.value = '';
    tooLong();
    hideSuggest();
    add({ who: 'user', text: q });
    waiting(true);
    var body = { question: q, ruby: state.lang === 'ja' };
    if (state.conversation) body.conversation = state.conversation;
    api('ask', body).then(function (r) {
      waiting(false);
      state.conversation = r.conversation || state.conversation;
      if (r.decision === 'answer' && r.answer)
        add({ who: 'bot', kind: 'answer', data: r.answer, handoff: r.followup || r.handoff });
      else if (r.decision === 'clarify' && (r.choices || r.candidates || []).length)
        add({ who: 'bot', kind: 'clarify', none: r.none || null, handoff: r.followup || null, data: (r.choices || r.candidates).map(function (c) { return { id: c.id, question: c.question, ruby: c.ruby }; }) });
      else if (r.decision === 'rephrase')
        add({ who: 'bot', kind: 'rephrase' });
      else
        add({ who: 'bot', kind: 'handoff', data: r.handoff || line('call_center') });
    }, failed);
  }

  /* ---- typing: Enter sends, except while an IME is composing ---- */
  function onKey(e) {
    if (e.key === 'ArrowDown' && !ui.suggest.hidden) {
      e.preventDefault();
      ui.suggest.querySelector('button').focus();
      return;
    }
    if (e.key === 'Escape' && !ui.suggest.hidden) { e.stopPropagation(); hideSuggest(); return; }
    if (e.key !== 'Enter' || e.shiftKey) return;
    /* Enter that confirms a kana→kanji conversion is not a send (keyCode 229:
     * browsers that report the IME's keydown without isComposing). */
    if (e.isComposing || e.keyCode === 229 || composing) return;
    e.preventDefault();
    send(ui.input.value);
  }

  function tooLong() {
    var n = Array.from(ui.input.value).length, over = n > QUESTION_MAX;
    ui.limit.textContent = over ? t('tooLong').replace('{max}', QUESTION_MAX).replace('{n}', n) : '';
    ui.input.setAttribute('aria-invalid', String(over));
    return over;
  }
  function onType() {
    clearTimeout(suggestTimer);
    if (tooLong()) { hideSuggest(); return; }
    var q = ui.input.value.trim();
    if (q.length < SUGGEST_MIN_CHARS) { hideSuggest(); return; }
    suggestTimer = setTimeout(function () {
      var seq = ++suggestSeq;
      api('suggest?lang=' + state.lang + '&q=' + encodeURIComponent(q)).then(function (j) {
        if (seq !== suggestSeq) return;  // a later keystroke already asked
        showSuggest(j.suggestions || []);
      }, hideSuggest);
    }, SUGGEST_DELAY_MS);
  }
  function showSuggest(list) {
    ui.suggest.textContent = '';
    if (!list.length) { hideSuggest(); return; }
    ui.suggest.appendChild(el('p', { class: 'mg-label', text: t('suggest') }));
    list.forEach(function (s) {
      ui.suggest.appendChild(el('button', {
        type: 'button', class: 'mg-chip', text: s.question, onclick: function () { send(s.question); },
        onkeydown: function (e) { if (e.key === 'Escape') { hideSuggest(); ui.input.focus(); } }
      }));
    });
    ui.suggest.hidden = false;
  }
  function hideSuggest() {
    clearTimeout(suggestTimer);  // a type-ahead still waiting would reopen the list
    suggestSeq++;
    ui.suggest.hidden = true;
    ui.suggest.textContent = '';
  }

  /* ---- modules: the booking flow plugs in here ---- */
  var modules = {}, opener = null;
  function showView(title) {
    if (ui.view.hidden) opener = root.activeElement;
    ui.chat.hidden = true;
    ui.view.textContent = '';
    ui.view.hidden = false;
    var back = el('button', { type: 'button', class: 'mg-tool mg-back', text: '← ' + t('back'), onclick: closeView });
    var h = el('h3', { id: 'mg-view-title', class: 'mg-view-title', tabindex: '-1', text: title });
    var body = el('div', { class: 'mg-view-body' });
    ui.view.appendChild(back);
    ui.view.appendChild(h);
    ui.view.appendChild(body);
    h.focus();
    return body;
  }
  function closeView() {
    ui.view.hidden = true;
    ui.view.textContent = '';
    ui.chat.hidden = false;
    ui.log.scrollTop = ui.log.scrollHeight;
    /* Back to what opened the panel (the 予約に進む button), or the input. */
    var back = opener && opener.isConnected && ui.log.contains(opener) ? opener : ui.input;
    opener = null;
    back.focus();
  }

  /* The hand-off to booking: tells the page (a 'madoguchi:booking' event that
   * crosses the shadow boundary), then shows the booking module if one is
   * registered, or the booking page and phone until it is. */
  function openBooking(ctx) {
    ctx = ctx || {};
    ctx.conversation = state.conversation;
    ctx.lang = state.lang;
    host.dispatchEvent(new CustomEvent('madoguchi:booking', { detail: ctx, bubbles: true, composed: true }));
    var view = showView(t('booking'));
    if (modules.booking) { modules.booking(view, ctx, mg); return; }
    var h = ctx.handoff || line('booking') || {};
    view.appendChild(el('p', { text: t('bookingText') }));
    var href = h.url && safeHref(h.url);
    if (href) view.appendChild(el('a', { class: 'mg-primary', href: href, target: '_blank', rel: 'noopener noreferrer', text: t('bookingPage'),
      'data-route': 'booking', 'data-channel': 'web' }));
    if (h.phone) view.appendChild(el('a', { class: 'mg-tel', href: telHref(h.phone), text: '📞 ' + t('call') + ' ' + h.phone }));
  }

  /* ---- the booking flow: log-in → venue or date → slot → confirm ----
   * The session token lives only in this closure (no storage, no cookie) and
   * travels in an Authorization header. Every server text is set as text. */
  function bookingFlow(view, ctx) {
    var token = null, venues = [], mine = null, changing = false;
    var live = el('p', { class: 'mg-bk-live', role: 'status', 'aria-live': 'polite' });
    var body = el('div', { class: 'mg-bk' });
    view.appendChild(live);
    view.appendChild(body);

    function say(text, isError) { live.textContent = text || ''; live.classList.toggle('mg-error', !!isError); }
    function call(path, data, key) {
      var h = {};
      if (token) h.Authorization = 'Bearer ' + token;
      if (key) h['Idempotency-Key'] = key;
      return api('booking/' + path, data, h);
    }
    function newKey() {
      var b = new Uint8Array(16);
      crypto.getRandomValues(b);
      return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    }
    function fail(e) {
      var st = e && e.status;
      if (st === 401 && token) { token = null; say(t('bkLoginAgain'), true); return login(); }
      say(reason(e && e.detail) || (st === 401 ? t('bkBadLogin') : st === 429 ? t('bkTooMany') : st === 409 ? t('bkRefused') :
        st === 400 ? t('bkBadInput') : t('error')), true);
    }
    /* The core's reason ({reason: 'interval', date: '2027-01-30', ...}) in
     * the resident's language; null when there is none to word. */
    function reason(d) {
      if (!d || !d.reason) return null;
      var text = t('r_' + d.reason + (d.problem ? '_' + d.problem : '') + (d.field ? '_' + d.field : '') +
        (d.to === '9999-12-31' ? '_open' : ''));
      return text ? text.replace(/\{(\w+)\}/g, function (_, k) {
        var v = k === 'era' && state.lang === 'en' ? d.era_en : d[k];
        return /^\d{4}-\d\d-\d\d$/.test(v) ? longDate(v) : String(v);
      }) : null;
    }
    function longDate(iso) {
      var d = new Date(iso + 'T00:00:00');
      return isNaN(d) ? iso : d.toLocaleDateString(state.lang === 'en' ? 'en-GB' : 'ja-JP', { year: 'numeric', month: 'long', day: 'numeric' });
    }
    var first = true;  // the view's own title has the focus on opening
    function step(title, kids) {
      body.textContent = '';
      var h = el('h4', { class: 'mg-bk-title', tabindex: '-1', text: title });
      body.appendChild(h);
      kids.forEach(function (k) { if (k) body.appendChild(k); });
      if (!first) h.focus();
      first = false;
    }
    function btn(text, fn, cls) { return el('button', { type: 'button', class: cls || 'mg-chip', text: text, onclick: fn }); }
    function when(x) { return dayOf(x.date) + ' ' + x.start; }
    function summary(x) {
      return el('div', { class: 'mg-card' }, [
        el('p', { class: 'mg-card-title', text: when(x) }),
        el('p', { text: nm(x, 'venue_name') }),
        el('p', { class: 'mg-label', text: nm(x, 'product_name') || x.product })
      ]);
    }
    function field(id, label, hint, attrs) {
      var input = el('input', Object.assign({ id: id, class: 'mg-field', inputmode: 'numeric', autocomplete: 'off', required: true, 'aria-describedby': hint ? id + '-hint' : null }, attrs));
      return [el('label', { for: id, text: label }), hint ? el('p', { id: id + '-hint', class: 'mg-label', text: hint }) : null, input];
    }

    /* The contact fields the town's policy allows (from 'open'): each one
     * asked, marked optional or required, so a required field never refuses
     * a booking the resident could not complete. */
    var policy = {}, offerHours = null;  // both from 'open': the town's and reservation/'s
    function contactFields() {
      return ['name_kana', 'phone', 'email'].filter(function (f) { return policy[f] && policy[f] !== 'off'; }).map(function (f) {
        var req = policy[f] === 'required', id = 'mg-bk-f-' + f;
        var input = el('input', { id: id, name: f, class: 'mg-field', required: req, 'aria-required': String(req),
          type: f === 'email' ? 'email' : f === 'phone' ? 'tel' : 'text', inputmode: f === 'email' ? 'email' : f === 'phone' ? 'tel' : null,
          autocomplete: f === 'email' ? 'email' : f === 'phone' ? 'tel' : 'off', maxlength: '254' });
        return { name: f, input: input, kids: [el('label', { for: id, text: t('bkField_' + f) + (req ? t('bkRequired') : t('bkOptional')) }), input] };
      });
    }
    function contactOf(fields) {
      var c = {};
      fields.forEach(function (f) { var v = f.input.value.trim(); if (v) c[f.name] = v; });
      return c;
    }
    /* A refused field is marked and gets the focus, the others cleared. */
    function contactFail(fields, err) {
      var d = err && err.detail;
      fields.forEach(function (f) { f.input.removeAttribute('aria-invalid'); });
      var bad = d && d.reason === 'contact' && fields.filter(function (f) { return f.name === d.field; })[0];
      if (bad) { bad.input.setAttribute('aria-invalid', 'true'); bad.input.focus(); }
      fail(err);
    }

    function login() {
      var f1 = field('mg-bk-ticket', t('bkTicket'), null, { maxlength: '16' });
      /* A text keyboard: 昭和25年4月1日 and S25.4.1 are dates too. */
      var f2 = field('mg-bk-birth', t('bkBirth'), t('bkBirthHint'), { maxlength: '30', inputmode: null });
      var form = el('form', { class: 'mg-bk-form', onsubmit: function (e) {
        e.preventDefault();
        say(t('bkLoading'));
        call('login', { ticket: f1[2].value, birth_date: f2[2].value }).then(function (r) {
          token = r.token;
          say('');
          home();
        }, function (err) { fail(err); f1[2].focus(); });
      } }, f1.concat(f2, [el('button', { type: 'submit', class: 'mg-primary', text: t('bkLoginBtn') })]));
      step(t('bkLogin'), [form]);
    }

    /* After log-in: the reservation held, offers waiting, or the choice of venue or date. */
    function home() {
      Promise.all([
        call('reservation').then(function (r) { return r.reservation; }, function (e) { if (e.status === 404) return null; throw e; }),
        call('offers').then(function (r) { return r.offers || []; })
      ]).then(function (res) {
        mine = res[0];
        var offers = res[1];
        var kids = [];
        if (offers.length) {
          kids.push(el('p', { class: 'mg-card-title', text: t('bkOffers') }));
          offers.forEach(function (o) {
            kids.push(summary(o));
            kids.push(btn(t('bkAccept'), function () { accept(o); }, 'mg-primary'));
          });
        }
        if (mine) {
          showMine(t('bkMine'), kids);
        } else {
          changing = false;
          choose(kids);
        }
      }, fail);
    }
    function showMine(title, before) {
      step(title, (before || []).concat([bookingCard(bookingData(mine)),
        btn(t('bkChange'), function () { changing = true; choose([]); }),
        btn(t('bkCancel'), confirmCancel),
        btn(t('back'), closeView)]));
    }
    function choose(before) {
      var date = el('input', { id: 'mg-bk-date', class: 'mg-field', type: 'date' });
      var kids = before.concat([el('p', { class: 'mg-label', text: t('bkVenue') })]);
      venues.forEach(function (v) {
        kids.push(el('button', { type: 'button', class: 'mg-chip mg-bk-venue', onclick: function () { slots({ venue: v.code }, nm(v, 'name')); } }, [
          el('span', { class: 'mg-card-title', text: nm(v, 'name') }), v.access ? el('span', { class: 'mg-label', text: ' ' + v.access }) : null]));
      });
      kids.push(el('label', { for: 'mg-bk-date', text: t('bkDate') }));
      kids.push(date);
      kids.push(btn(t('bkShow'), function () { if (date.value) slots({ date: date.value }, date.value); else { say(t('bkBadInput'), true); date.focus(); } }));
      if (mine) kids.push(btn(t('bkBack'), function () { changing = false; showMine(t('bkMine')); }));
      step(changing ? t('bkChange') : t('booking'), kids);
    }
    /* Only the slots the resident may book (the server filters by the ticket's
     * rules): first the days, then one day's times under their product's name. */
    function slots(q, title, day) {
      var qs = Object.keys(q).map(function (k) { return k + '=' + encodeURIComponent(q[k]); }).join('&');
      say(t('bkLoading'));
      call('slots?' + qs).then(function (r) {
        say('');
        var list = r.slots || [], kids = [], days = {}, order = [];
        var rule = reason(r.rule);
        if (rule) kids.push(el('p', { class: 'mg-bk-rule', text: rule }));
        if (!list.length) {
          kids.push(el('p', { text: t('bkNoSlots') }));
          if (!mine) kids.push(btn(t('bkWait'), function () { waitForm(q, title); }));
        }
        list.forEach(function (s) {
          if (!days[s.date]) { days[s.date] = []; order.push(s.date); }
          days[s.date].push(s);
        });
        if (!day && order.length > 1) {
          kids.push(el('p', { class: 'mg-label', text: t('bkPickDay') }));
          order.forEach(function (d) {
            kids.push(btn(dayOf(d) + '（' + days[d].length + ' ' + t('bkTimes') + '）', function () { slots(q, title, d); }, 'mg-chip mg-bk-day'));
          });
        } else if (order.length) {
          day = days[day] ? day : order[0];
          kids.push(el('h5', { class: 'mg-bk-day-title', text: dayOf(day) }));
          var product = null;
          days[day].sort(function (a, b) { return a.product === b.product ? (a.start < b.start ? -1 : 1) : (a.product < b.product ? -1 : 1); });
          days[day].forEach(function (s) {
            if (s.product !== product) kids.push(el('p', { class: 'mg-bk-product', text: nm(s, 'product_name') }));
            product = s.product;
            kids.push(btn(s.start + (q.venue ? '' : '  ' + nm(s, 'venue_name')) + '（' + t('bkLeft') + ' ' + s.free + '）', function () { confirm(s, q, title); }, 'mg-chip mg-bk-slot'));
          });
          if (order.length > 1) kids.push(btn(t('bkOtherDay'), function () { slots(q, title); }));
        }
        kids.push(btn(t('bkBack'), function () { choose([]); }));
        step(t('bkSlots') + ' — ' + title, kids);
      }, fail);
    }
    function confirm(s, q, title) {
      var key = newKey();  // one key per confirmation: a double tap or a retry books once
      var fields = contactFields();
      step(changing ? t('bkChangeQ') : t('bkConfirmQ'), [summary(s)].concat(
        [].concat.apply([], fields.map(function (f) { return f.kids; })), [
        btn(t('bkConfirm'), function (e) {
          var b = e.target;
          b.disabled = true;
          var body = { slot: s.id, venue: s.venue, conversation: ctx.conversation || undefined, contact: contactOf(fields) };
          call(changing ? 'change' : 'book', body, key)
            .then(function (r) { done(r.reservation, changing ? t('bkChanged') : t('bkDone')); },
              function (err) { b.disabled = false; key = newKey(); contactFail(fields, err); });
        }, 'mg-primary'),
        btn(t('bkBack'), function () { slots(q, title, s.date); })]));
    }
    /* Nothing free: what will happen, the contact the town allows, then the list. */
    function waitForm(q, title) {
      if (offerHours === null)  // 'open' failed when the panel opened: ask again, without logging it twice
        return call('open', {}).then(function (r) { policy = r.fields || {}; offerHours = r.offer_hours || 0; waitForm(q, title); }, fail);
      var fields = contactFields();
      var kids = [el('p', { class: 'mg-bk-rule', text: t('bkWaitHow').replace(/\{hours\}/g, offerHours) }),
        el('p', { text: fields.length ? t('bkWaitContact') : t('bkWaitNoContact') })];
      fields.forEach(function (f) { kids = kids.concat(f.kids); });
      kids.push(btn(t('bkWait'), function (e) {
        var b = e.target, contact = contactOf(fields);
        b.disabled = true;
        call('wait', Object.assign({ contact: contact }, q)).then(function (r) {
          var hours = r.offer_hours || offerHours;
          var to = ['phone', 'email'].filter(function (k) { return contact[k]; }).map(function (k) { return contact[k]; }).join(' / ');
          var text = (to ? t('bkWaitTo').replace('{to}', to) : t('bkWaitHere')).replace(/\{hours\}/g, hours);
          say(text);
          note({ who: 'bot', kind: 'note', text: text });
          step(t('bkWaitTitle'), [el('p', { class: 'mg-bk-done', text: text }), btn(t('back'), closeView)]);
        }, function (err) { b.disabled = false; contactFail(fields, err); });
      }, 'mg-primary'));
      kids.push(btn(t('bkBack'), function () { slots(q, title); }));
      step(t('bkWaitTitle') + ' — ' + title, kids);
    }
    function accept(o) {
      call('accept', { offer: o.id, conversation: ctx.conversation || undefined }, newKey())
        .then(function (r) { done(r.reservation, t('bkDone')); }, fail);
    }
    /* Confirmed: the whole confirmation in the panel, and a copy kept in the
     * chat, which stays after 「チャットに戻る」 and a reload. */
    function done(b, text) {
      mine = b;
      changing = false;
      say(text);
      showMine(text);
      note({ who: 'bot', kind: 'booking', text: text, data: bookingData(b) });
    }
    function confirmCancel() {
      var key = newKey();
      step(t('bkCancelQ'), [summary(mine),
        btn(t('bkCancelYes'), function () {
          call('cancel', {}, key).then(function () {
            mine = null;
            say(t('bkCancelled'));
            note({ who: 'bot', kind: 'note', text: t('bkCancelled') });
            step(t('bkCancelled'), [btn(t('bkVenue'), function () { choose([]); }), btn(t('back'), closeView)]);
          }, fail);
        }, 'mg-primary'),
        btn(t('bkBack'), function () { showMine(t('bkMine')); })]);
    }

    call('open', { conversation: ctx.conversation || undefined }).then(function (r) {
      venues = r.venues || [];
      policy = r.fields || {};
      offerHours = r.offer_hours || offerHours;
    }, function () { /* venues come again with slots */ });
    login();
  }
  modules.booking = bookingFlow;

  var mg = {
    loaded: true,
    api: api, el: el, t: t, back: closeView, openBooking: openBooking,
    register: function (name, fn) { modules[name] = fn; },
    open: function () { setOpen(true); }
  };
  window.madoguchi = mg;

  function start() {
    build();
    document.body.appendChild(host);
    if (state.open) loadConfig();
  }
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
})();
