/* The console's booking operations, in Japanese: 受付 (a venue's desk on a
 * tablet: the day's list, check-in, vaccinated with the lot, 予診のみ,
 * no-show, by the number printed on the 接種券), 電話予約 (the call centre on a
 * caller's behalf), 予約枠 (administrators: slots in bulk, capacity, closing,
 * the outbox, reception accounts' venues, the set-up files' import), 予約実績
 * (the report and its CSV, the national record's VRS file) and キャンセル待ち
 * (the waiting list, for administrators and the call centre).
 * Talks to /api/v1/admin/ops/ through admin.js's helpers; every rule and every
 * refusal comes from the server, worded here. No innerHTML. */
(function () {
  'use strict';

  var C = window.mgConsole;
  if (!C) return;
  var el = C.el, clear = C.clear;
  var FIND_DELAY_MS = 250;    // after the last keystroke in the search box

  /* ---- words: the console's one table (i18n.js), under ops ---- */
  var t = C.t, S = t('ops');
  function o(key, vars) { return t('ops.' + key, vars); }

  function day(iso) {
    var d = new Date(iso + 'T00:00:00');
    return isNaN(d) ? iso : o('day', { m: d.getMonth() + 1, d: d.getDate(), w: S.week[d.getDay()] });
  }
  /* A refusal in Japanese: the rules' reason with its values, else by status. */
  function why(e) {
    var d = e.detail || {}, key = d.reason && (d.reason + (d.problem ? '_' + d.problem : '') +
      (d.to === '9999-12-31' ? '_open' : ''));
    var text = key && S.reason[key];
    if (text) {
      return fill(text, Object.assign({}, d, { status: S.status[d.status] || d.status }));
    }
    return C.refusal(e);
  }
  /* {name} of a word filled from vars; dates as the day unless asis (a
   * cell of a file is quoted as it was written). */
  function fill(text, vars, asis) {
    return text.replace(/\{(\w+)\}/g, function (_, k) {
      var v = vars[k];
      return !asis && /^\d{4}-\d\d-\d\d$/.test(v) ? day(v) : String(v);
    });
  }
  function say(box, text, bad) {
    box.textContent = text;
    box.className = 'ops-msg ' + (bad ? 'bad' : 'good');
  }
  function refusedIn(box) {
    return function (e) { if (e.status !== 401) say(box, why(e), true); };
  }
  function options(select, items, first) {
    clear(select);
    if (first) select.appendChild(el('option', { value: '', text: first }));
    items.forEach(function (o) { select.appendChild(el('option', { value: o[0], text: o[1] })); });
  }
  function field(label, input) { return el('label', {}, [label, input]); }
  function section(name, title, kids) {
    var s = el('section', { id: 'view-' + name, class: 'view ops', hidden: true },
      [el('h2', { text: title })].concat(kids));
    document.querySelector('main').appendChild(s);
    return s;
  }
  function head(table, cols) {
    table.appendChild(el('thead', {}, [el('tr', {}, cols.map(function (c) {
      return el('th', { scope: 'col', text: c });
    }))]));
    return table.appendChild(el('tbody'));
  }
  function badge(status) { return el('span', { class: 'ops-badge st-' + status, text: S.status[status] || status }); }

  /* ---- 受付: a venue's day at its desk ---- */
  var rc = {
    q: el('input', { id: 'rc-q', type: 'search', autocomplete: 'off', enterkeyhint: 'search' }),
    lot: el('input', { id: 'rc-lot', autocomplete: 'off', maxlength: '32' }),
    venue: el('select', { id: 'rc-venue' }), date: el('input', { id: 'rc-date', type: 'date' }),
    status: el('select', { id: 'rc-status' }), from: el('input', { id: 'rc-from', type: 'time' }),
    to: el('input', { id: 'rc-to', type: 'time' }), sort: el('select', { id: 'rc-sort' }),
    counts: el('div', { id: 'rc-counts', class: 'ops-counts' }),
    msg: el('p', { id: 'rc-msg', class: 'ops-msg', role: 'status', 'aria-live': 'polite' }),
    table: el('table', { id: 'rc-list', class: 'ops-table' }),
    title: el('span', { id: 'rc-day' }),
  };
  options(rc.status, Object.keys(S.status).map(function (k) { return [k, S.status[k]]; }), S.all_open);
  options(rc.sort, Object.keys(S.sort).map(function (k) { return [k, S.sort[k]]; }));
  rc.lot.value = sessionStorage.getItem('mg-lot') || '';
  rc.body = head(rc.table, ['time', 'ticket', 'name', 'venue', 'status', 'actions'].map(function (k) { return S.h[k]; }));
  section('reception', o('rc.title'), [
    el('p', { class: 'ops-sub' }, [rc.title]),
    el('form', { class: 'ops-bar ops-big', role: 'search', onsubmit: function (e) { e.preventDefault(); loadDay(); } }, [
      field(o('rc.find'), rc.q),
      field(o('rc.lot'), rc.lot),
    ]),
    el('div', { class: 'ops-bar' }, [field(S.h.venue, rc.venue), field(S.h.date, rc.date), field(S.h.status, rc.status),
      field(o('rc.from'), rc.from), field(o('rc.to'), rc.to), field(o('rc.sort'), rc.sort)]),
    rc.counts, rc.msg, rc.table,
  ]);
  var findTimer;
  rc.q.addEventListener('input', function () { clearTimeout(findTimer); findTimer = setTimeout(loadDay, FIND_DELAY_MS); });
  [rc.venue, rc.date, rc.status, rc.from, rc.to, rc.sort].forEach(function (i) { i.addEventListener('change', loadDay); });
  rc.lot.addEventListener('change', function () { sessionStorage.setItem('mg-lot', rc.lot.value.trim()); });

  function loadDay() {
    C.get('ops/day', { date: rc.date.value, venue: rc.venue.value, status: rc.status.value, find: rc.q.value.trim(),
      from: rc.from.value, to: rc.to.value, sort: rc.sort.value }).then(function (d) {
      if (!rc.date.value) rc.date.value = d.date;
      rc.title.textContent = day(d.date) + S.dot + d.venues.map(function (v) { return v.name; }).join(S.list_sep);
      if (rc.venue.options.length !== d.venues.length + 1) {
        options(rc.venue, d.venues.map(function (v) { return [v.code, v.name]; }), S.all);
      }
      clear(rc.counts);
      ['booked', 'checked_in', 'vaccinated', 'examined', 'no_show'].forEach(function (k) {
        rc.counts.appendChild(el('div', { class: 'ops-count st-' + k }, [el('span', { text: S.status[k] }),
          el('strong', { text: String(d.counts[k] || 0) })]));
      });
      clear(rc.body);
      d.bookings.forEach(function (b) { rc.body.appendChild(desk_row(b)); });
      if (!d.bookings.length) rc.body.appendChild(el('tr', {}, [el('td', { colspan: 6, text: o('rc.empty') })]));
    }).catch(refusedIn(rc.msg));
  }

  function desk_row(b) {
    var acts = el('div', { class: 'ops-acts' });
    var steps = b.status === 'booked' ? ['checkin', 'no_show'] :
      b.status === 'checked_in' ? ['vaccinated', 'examined', 'no_show'] : [];
    steps.forEach(function (s) {
      acts.appendChild(el('button', { type: 'button', class: 'ops-step step-' + s, 'data-step': s,
        'aria-label': o('rc.step_label', { step: S.step[s], ticket: b.ticket }), text: S.step[s], onclick: function () { act(b, s); } }));
    });
    return el('tr', { 'data-ticket': b.ticket, class: 'st-' + b.status }, [
      el('td', { text: b.start }), el('td', { class: 'ops-ticket', text: b.ticket }), el('td', { text: b.name_kana || '—' }),
      el('td', { text: b.venue_name }), el('td', {}, [badge(b.status), b.lot ? el('small', { text: o('rc.lot_shown', { lot: b.lot }) }) : null]),
      el('td', {}, [acts]),
    ]);
  }

  function act(b, step) {
    var lot = rc.lot.value.trim();
    if (step === 'vaccinated' && !lot) {
      say(rc.msg, o('rc.lot_needed'), true);
      rc.lot.focus();
      return;
    }
    C.post('ops/desk', { ticket: b.ticket, step: step, lot: step === 'vaccinated' ? lot : undefined }).then(function (r) {
      say(rc.msg, o('rc.done', { ticket: r.reservation.ticket, step: S.stepDone[step] }));
      loadDay();
    }).catch(refusedIn(rc.msg));
  }

  C.addView('reception', { right: 'reception', load: loadDay });

  /* ---- 電話予約: the call centre on a caller's behalf ---- */
  var cc = {
    form: el('form', { id: 'cc-caller', class: 'card ops-bar ops-big', autocomplete: 'off' }),
    ticket: el('input', { name: 'ticket', inputmode: 'numeric', required: true }),
    birth: el('input', { name: 'birth_date', required: true, placeholder: o('cc.birth_hint') }),
    msg: el('p', { id: 'cc-msg', class: 'ops-msg', role: 'status', 'aria-live': 'polite' }),
    panel: el('div', { id: 'cc-panel', hidden: true }),
    history: el('table', { id: 'cc-history', class: 'ops-table' }),
    waiting: el('p', { id: 'cc-waiting' }), offers: el('ul', { id: 'cc-offers', class: 'ops-list' }),
    venue: el('select', { id: 'cc-venue' }), date: el('input', { id: 'cc-date', type: 'date' }),
    to: el('input', { id: 'cc-to', type: 'date' }),
    slots: el('table', { id: 'cc-slots', class: 'ops-table' }),
    caller: null, active: null,
  };
  cc.historyBody = head(cc.history, [S.h.when, S.h.venue, S.h.product, S.h.status]);
  cc.slotsBody = head(cc.slots, [S.h.when, S.h.venue, S.h.product, S.h.free, S.h.actions]);
  [field(S.h.ticket, cc.ticket), field(o('cc.birth'), cc.birth),
    el('button', { type: 'submit', class: 'primary', text: o('cc.verify') }),
    el('button', { type: 'button', id: 'cc-end', text: o('cc.end'), onclick: endCall })].forEach(function (n) { cc.form.appendChild(n); });
  cc.form.addEventListener('submit', function (e) {
    e.preventDefault();
    cc.caller = { ticket: cc.ticket.value.trim(), birth_date: cc.birth.value.trim() };
    callerDo('caller', {}, o('cc.verified'));
  });
  [el('div', { class: 'card' }, [el('h3', { text: o('cc.history') }), cc.history, cc.waiting, cc.offers,
    el('div', { class: 'ops-bar' }, [
      el('button', { type: 'button', id: 'cc-cancel', text: o('cc.cancel'), onclick: function () {
        callerDo('cancel', {}, o('cc.cancelled'));
      } })])]),
  el('form', { id: 'cc-search', class: 'card', onsubmit: function (e) { e.preventDefault(); findSlots(); } }, [
    el('h3', { text: o('cc.free') }),
    el('div', { class: 'ops-bar' }, [field(S.h.venue, cc.venue), field(S.h.date, cc.date), field(o('cc.until'), cc.to),
      el('button', { type: 'submit', text: o('cc.find') }),
      el('button', { type: 'button', id: 'cc-wait', text: o('cc.wait'), onclick: function () {
        callerDo('wait', { venue: cc.venue.value || undefined, date: cc.date.value || undefined }, o('cc.waited'));
      } })]),
    cc.slots]),
  ].forEach(function (n) { cc.panel.appendChild(n); });
  section('calls', o('cc.title'), [cc.form, cc.msg, cc.panel]);

  /* Every operation sends the caller's ticket and birth date again: the
   * server checks them each time, as the resident's log-in does. */
  function callerDo(op, extra, done) {
    if (!cc.caller) return;
    var body = Object.assign({ ticket: cc.caller.ticket, birth_date: cc.caller.birth_date }, extra);
    C.post('ops/' + op, body).then(function (h) {
      say(cc.msg, done);
      showCaller(h);
    }).catch(function (e) {
      if (op === 'caller') { cc.panel.hidden = true; cc.caller = null; }
      refusedIn(cc.msg)(e);
    });
  }

  function showCaller(h) {
    cc.panel.hidden = false;
    clear(cc.historyBody);
    cc.active = h.bookings.filter(function (b) { return b.status === 'booked' || b.status === 'checked_in'; })[0] || null;
    h.bookings.forEach(function (b) {
      cc.historyBody.appendChild(el('tr', {}, [el('td', { text: day(b.date) + ' ' + b.start }), el('td', { text: b.venue_name }),
        el('td', { text: b.product }), el('td', {}, [badge(b.status), b.cancel_reason === 'slot_closed' ? el('small', { text: o('cc.by_closing') }) : null])]));
    });
    if (!h.bookings.length) cc.historyBody.appendChild(el('tr', {}, [el('td', { colspan: 4, text: o('cc.no_bookings') })]));
    document.getElementById('cc-cancel').hidden = !(cc.active && cc.active.status === 'booked');
    var w = h.waiting;
    cc.waiting.textContent = w ? o('cc.waiting', { venue: w.venue || o('cc.any_venue'), date: w.date ? day(w.date) : o('cc.any_date'),
      offered: w.status === 'offered' ? o('cc.offered') : '' }) : '';
    clear(cc.offers);
    (h.offers || []).forEach(function (f) {
      cc.offers.appendChild(el('li', {}, [o('cc.offer', { date: day(f.date), start: f.start, venue: f.venue_name }),
        el('button', { type: 'button', class: 'primary', text: o('cc.take_offer'), onclick: function () {
          callerDo('accept', { offer: f.id }, o('cc.booked'));
        } })]));
    });
    findSlots();   // the venues come with the free slots
  }

  function findSlots() {
    C.get('ops/free', { venue: cc.venue.value, date: cc.date.value, to: cc.date.value ? cc.to.value : '' }).then(function (r) {
      if (cc.venue.options.length !== r.venues.length + 1) {
        var keep = cc.venue.value;
        options(cc.venue, r.venues.map(function (v) { return [v.code, v.name]; }), S.all);
        cc.venue.value = keep;
      }
      clear(cc.slotsBody);
      var change = cc.active && cc.active.status === 'booked';
      r.slots.slice(0, 50).forEach(function (s) {
        cc.slotsBody.appendChild(el('tr', { 'data-slot': s.id }, [el('td', { text: day(s.date) + ' ' + s.start }),
          el('td', { text: s.venue_name }), el('td', { text: s.product_name }), el('td', { text: String(s.free) }),
          el('td', {}, [el('button', { type: 'button', class: 'primary ops-pick', text: o(change ? 'cc.change_to' : 'cc.book'),
            onclick: function () {
              callerDo(change ? 'change' : 'book', { slot: s.id, venue: s.venue },
                o(change ? 'cc.changed_to' : 'cc.booked_in', { slot: day(s.date) + ' ' + s.start + ' ' + s.venue_name }));
            } })])]));
      });
      if (!r.slots.length) cc.slotsBody.appendChild(el('tr', {}, [el('td', { colspan: 5, text: o('cc.no_slots') })]));
    }).catch(refusedIn(cc.msg));
  }

  function endCall() {
    cc.caller = null;
    cc.active = null;
    cc.form.reset();
    cc.panel.hidden = true;
    say(cc.msg, '');
    cc.ticket.focus();
  }

  C.addView('calls', { right: 'calls', load: function () { if (!cc.caller) cc.ticket.focus(); } });

  /* ---- 予約枠: slots for administrators ---- */
  var sl = {
    create: el('form', { id: 'sl-create', class: 'card' }), msg: el('p', { id: 'sl-msg', class: 'ops-msg', role: 'status', 'aria-live': 'polite' }),
    venue: el('select', { name: 'venue', required: true }), product: el('select', { name: 'product', required: true }),
    from: el('input', { name: 'from', type: 'date', required: true }), to: el('input', { name: 'to', type: 'date', required: true }),
    times: el('input', { name: 'times', required: true, value: '09:00 09:30 10:00 10:30 13:30 14:00 14:30' }),
    minutes: el('input', { name: 'minutes', type: 'number', min: '5', max: '1440', value: '30', required: true }),
    capacity: el('input', { name: 'capacity', type: 'number', min: '0', max: '1000', value: '6', required: true }),
    days: el('fieldset', { class: 'ops-days' }, [el('legend', { text: o('sl.weekdays') })]),
    listVenue: el('select', { id: 'sl-venue' }), listFrom: el('input', { id: 'sl-from', type: 'date' }),
    listTo: el('input', { id: 'sl-to', type: 'date' }), list: el('table', { id: 'sl-list', class: 'ops-table' }),
    outbox: el('table', { id: 'sl-outbox', class: 'ops-table' }),
    deskName: el('input', { name: 'desk', autocomplete: 'off', required: true }), deskVenues: el('fieldset', { class: 'ops-days' }, [el('legend', { text: S.h.venue })]),
  };
  S.week.forEach(function (w, i) {
    sl.days.appendChild(el('label', { class: 'ops-check' }, [el('input', { type: 'checkbox', value: String(i), checked: i >= 1 && i <= 5 }), w]));
  });
  sl.listBody = head(sl.list, ['date', 'time', 'venue', 'product', 'capacity', 'booked', 'held', 'status', 'actions'].map(function (k) { return S.h[k]; }));
  sl.outboxBody = head(sl.outbox, [S.h.created, S.h.kind, S.h.ticket, S.h.content]);
  [el('h2', { text: o('sl.create') }),
    el('div', { class: 'ops-bar' }, [field(S.h.venue, sl.venue), field(S.h.product, sl.product), field(o('sl.from'), sl.from), field(o('sl.to'), sl.to)]),
    sl.days,
    el('div', { class: 'ops-bar' }, [field(o('sl.times'), sl.times), field(o('sl.minutes'), sl.minutes), field(S.h.capacity, sl.capacity),
      el('button', { type: 'submit', class: 'primary', text: o('sl.make') })]),
  ].forEach(function (n) { sl.create.appendChild(n); });
  sl.create.addEventListener('submit', function (e) {
    e.preventDefault();
    var days = Array.prototype.filter.call(sl.days.querySelectorAll('input'), function (i) { return i.checked; })
      .map(function (i) { return Number(i.value); });
    C.post('ops/slots', { venue: sl.venue.value, product: sl.product.value, from: sl.from.value, to: sl.to.value,
      times: sl.times.value.split(/[\s,、]+/).filter(Boolean), minutes: Number(sl.minutes.value),
      capacity: Number(sl.capacity.value), weekdays: days }).then(function (r) {
      say(sl.msg, o(r.existing ? 'sl.made_kept' : 'sl.made', { n: r.created, existing: r.existing }));
      sl.listVenue.value = sl.venue.value;
      sl.listFrom.value = sl.from.value;
      sl.listTo.value = sl.to.value;
      loadSlots();
    }).catch(refusedIn(sl.msg));
  });
  var deskForm = el('form', { id: 'sl-desk', class: 'card' }, [el('h2', { text: o('sl.desk') }),
    el('div', { class: 'ops-bar' }, [field(o('sl.desk_name'), sl.deskName)]), sl.deskVenues,
    el('button', { type: 'submit', text: o('sl.set') })]);
  deskForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var codes = Array.prototype.filter.call(sl.deskVenues.querySelectorAll('input'), function (i) { return i.checked; })
      .map(function (i) { return i.value; });
    C.post('ops/desks', { name: sl.deskName.value.trim(), venues: codes }).then(function (r) {
      say(sl.msg, o('sl.desk_set', { name: sl.deskName.value.trim(), venues: r.venues.map(function (v) { return v.name; }).join(S.list_sep) || S.none }));
    }).catch(refusedIn(sl.msg));
  });
  /* The set-up files (venues, vaccines and their rules, slots, 有効接種券),
   * checked and imported all or nothing as `booking import-*` does; each bad
   * row is listed by its line, in the staff's words. */
  var im = {
    kind: el('select', { id: 'im-kind' }), file: el('input', { id: 'im-file', type: 'file', accept: '.csv,text/csv' }),
    msg: el('p', { id: 'im-msg', class: 'ops-msg', role: 'status', 'aria-live': 'polite' }),
    errors: el('ol', { id: 'im-errors', class: 'ops-list' }),
  };
  options(im.kind, ['tickets', 'slots', 'venues', 'products'].map(function (k) { return [k, S.imp.kinds[k]]; }));
  var importForm = el('form', { id: 'im-form', class: 'card' }, [el('h2', { text: o('imp.title') }),
    el('p', { class: 'ops-sub', text: o('imp.help') }),
    el('div', { class: 'ops-bar' }, [field(o('imp.kind'), im.kind), field(o('imp.file'), im.file),
      el('button', { type: 'submit', class: 'primary', text: o('imp.run') })]), im.msg, im.errors]);
  function badRow(e) {
    var word = C.lang() === 'ja' && S.imp.reason[e.reason];
    return o('imp.line', { line: e.line, msg: word ? fill(word, e, true) : e.message });
  }
  importForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var file = im.file.files[0], kind = im.kind.value, name = S.imp.kinds[kind];
    clear(im.errors);
    if (!file) { say(im.msg, o('imp.choose'), true); return; }
    file.arrayBuffer().then(function (buf) {
      return C.post('ops/import', { kind: kind, csv_base64: C.base64(buf) });
    }).then(function (r) {
      if (r.ok) {
        say(im.msg, o('imp.done', { kind: name, n: r.imported }));
        if (kind !== 'tickets') loadSetup().then(loadSlots).catch(refusedIn(sl.msg));
        return;
      }
      say(im.msg, o('imp.nothing', { kind: name, n: r.errors.length }), true);
      r.errors.forEach(function (b) { im.errors.appendChild(el('li', { 'data-line': b.line, text: badRow(b) })); });
    }).catch(refusedIn(im.msg));
  });
  /* A venue and a vaccine (with its rules) edited field by field: the same
   * check as a set-up file's row, on the server; a refusal names the field
   * in the import's words. */
  function setupForm(id, kind, fields) {
    var f = { form: el('form', { id: id, class: 'card' }), pick: el('select', { id: id + '-pick' }), inputs: {},
      msg: el('p', { class: 'ops-msg', role: 'status', 'aria-live': 'polite' }), list: [] };
    f.form.appendChild(el('h2', { text: o('vp.' + kind) }));
    f.form.appendChild(el('div', { class: 'ops-bar' }, [field(o('vp.pick'), f.pick)]));
    var bar = el('div', { class: 'ops-bar' });
    fields.forEach(function (k) {
      var input = k === 'same_product' ? el('input', { type: 'checkbox', name: k })
        : /_days$/.test(k) ? el('input', { type: 'number', name: k, required: true })
          : el('input', { name: k, required: k === 'code' || k === 'name' });
      f.inputs[k] = input;
      bar.appendChild(k === 'same_product' ? el('label', { class: 'ops-check' }, [input, o('vp.f.' + k)]) : field(o('vp.f.' + k), input));
    });
    f.form.appendChild(bar);
    f.form.appendChild(el('button', { type: 'submit', class: 'primary', text: o('vp.save') }));
    f.form.appendChild(f.msg);
    f.fill = function (code) {
      var item = f.list.filter(function (x) { return x.code === code; })[0] || {};
      fields.forEach(function (k) {
        if (k === 'same_product') f.inputs[k].checked = !!item[k];
        else f.inputs[k].value = item[k] === undefined || item[k] === null ? '' : String(item[k]);
      });
      f.inputs.code.readOnly = !!item.code;   // another code is another one: 新しい… for that
    };
    f.load = function (list) {
      var keep = f.pick.value;
      f.list = list;
      options(f.pick, list.map(function (x) { return [x.code, x.code + ' — ' + x.name]; }), o('vp.new_' + kind));
      f.pick.value = list.some(function (x) { return x.code === keep; }) ? keep : '';
      f.fill(f.pick.value);
    };
    f.pick.addEventListener('change', function () { say(f.msg, ''); f.fill(f.pick.value); });
    f.form.addEventListener('submit', function (e) {
      e.preventDefault();
      var body = {};
      fields.forEach(function (k) {
        body[k] = k === 'same_product' ? f.inputs[k].checked : /_days$/.test(k) ? Number(f.inputs[k].value) : f.inputs[k].value.trim();
      });
      var send = {};
      send[kind] = body;
      C.post('ops/' + kind, send).then(function () {
        say(f.msg, o('vp.saved', { name: body.name, code: body.code }));
        f.pick.value = body.code;
        return loadSetup();
      }).catch(function (err) {
        if (err.status === 401) return;
        var d = err.detail || {}, word = C.lang() === 'ja' && d.reason && S.imp.reason[d.reason];
        say(f.msg, word ? fill(word, Object.assign({ value: body[d.reason] }, d), true) : why(err), true);
      });
    });
    return f;
  }
  var vf = setupForm('vn-form', 'venue', ['code', 'name', 'address', 'access', 'accessibility', 'name_en', 'address_en']);
  var pf = setupForm('pd-form', 'product', ['code', 'name', 'name_en', 'min_interval_days', 'horizon_days', 'same_product']);

  section('slots', o('sl.title'), [sl.msg, sl.create,
    el('form', { id: 'sl-filter', class: 'card', onsubmit: function (e) { e.preventDefault(); loadSlots(); } }, [
      el('h2', { text: o('sl.list') }),
      el('div', { class: 'ops-bar' }, [field(S.h.venue, sl.listVenue), field(o('sl.from'), sl.listFrom), field(o('sl.to'), sl.listTo),
        el('button', { type: 'submit', text: o('sl.show') })]), sl.list]),
    el('div', { class: 'card' }, [el('h2', { text: o('sl.outbox') }), sl.outbox]),
    deskForm, vf.form, pf.form, importForm]);

  function loadSetup() {
    return C.get('ops/setup').then(function (s) {
      var venues = s.venues.map(function (v) { return [v.code, v.name]; });
      options(sl.venue, venues);
      options(sl.listVenue, venues, S.all);
      options(sl.product, s.products.map(function (p) { return [p.code, p.name]; }));
      sl.zone = s.zone;   // times in the town's zone, not the browser's
      vf.load(s.venues);
      pf.load(s.products);
      if (!sl.from.value) { sl.from.value = s.today; sl.to.value = s.today; }
      clear(sl.deskVenues).appendChild(el('legend', { text: S.h.venue }));
      s.venues.forEach(function (v) {
        sl.deskVenues.appendChild(el('label', { class: 'ops-check' }, [el('input', { type: 'checkbox', value: v.code }), v.name]));
      });
      return s;
    });
  }

  function loadSlots() {
    C.get('ops/slots', { venue: sl.listVenue.value, from: sl.listFrom.value, to: sl.listTo.value }).then(function (r) {
      sl.listFrom.value = r.from;
      sl.listTo.value = r.to;
      clear(sl.listBody);
      r.slots.forEach(function (s) { sl.listBody.appendChild(slotRow(s)); });
      if (!r.slots.length) sl.listBody.appendChild(el('tr', {}, [el('td', { colspan: 9, text: o('sl.empty') })]));
    }).catch(refusedIn(sl.msg));
    loadOutbox();
  }

  function slotRow(s) {
    var cap = el('input', { type: 'number', min: '0', max: '1000', value: String(s.capacity), class: 'ops-num',
      'aria-label': o('sl.cap_label', { date: s.date, start: s.start, venue: s.venue_name }), disabled: s.closed });
    var ops = el('div', { class: 'ops-acts' });
    if (!s.closed) {
      ops.appendChild(el('button', { type: 'button', text: o('sl.set_cap'), onclick: function () {
        C.post('ops/capacity', { slot: s.id, capacity: Number(cap.value) }).then(function (r) {
          say(sl.msg, o(r.offered ? 'sl.cap_set_offered' : 'sl.cap_set', { n: cap.value, offered: r.offered }));
          loadSlots();
        }).catch(refusedIn(sl.msg));
      } }));
      ops.appendChild(el('button', { type: 'button', class: 'ops-danger ops-close', text: o('sl.close'), onclick: function () { confirmClose(s, ops); } }));
    }
    return el('tr', { 'data-slot': s.id, class: s.closed ? 'closed' : '' }, [el('td', { text: day(s.date) }), el('td', { text: s.start }),
      el('td', { text: s.venue_name }), el('td', { text: s.product }), el('td', {}, [cap]), el('td', { text: String(s.booked) }),
      el('td', { text: String(s.held) }), el('td', { text: o(s.closed ? 'sl.closed' : 'sl.open') }), el('td', {}, [ops])]);
  }

  /* Closing cancels the slot's bookings: it is confirmed on the row itself. */
  function confirmClose(s, box) {
    clear(box);
    box.appendChild(el('span', { text: o('sl.close_warn', { n: s.booked }) }));
    box.appendChild(el('button', { type: 'button', class: 'ops-danger ops-close-yes', text: o('sl.close_yes'), onclick: function () {
      C.post('ops/close', { slot: s.id }).then(function (r) {
        say(sl.msg, o('sl.closed_done', { n: r.notified }));
        loadSlots();
      }).catch(refusedIn(sl.msg));
    } }));
    box.appendChild(el('button', { type: 'button', text: o('sl.keep'), onclick: function () { loadSlots(); } }));
  }

  var KINDS = S.sl.kind;
  function loadOutbox() {
    C.get('ops/outbox').then(function (r) {
      clear(sl.outboxBody);
      r.outbox.slice().reverse().forEach(function (n) {
        var p = n.payload || {};
        sl.outboxBody.appendChild(el('tr', { 'data-kind': n.kind }, [el('td', { text: new Date(n.created_at * 1000).toLocaleString(t('ops.locale'), { timeZone: sl.zone || undefined }) }),
          el('td', { text: KINDS[n.kind] || n.kind }), el('td', { text: n.ticket }),
          el('td', { text: (p.date ? day(p.date) + ' ' : '') + (p.start || '') + ' ' + (p.venue_name || '') })]));
      });
      if (!r.outbox.length) sl.outboxBody.appendChild(el('tr', {}, [el('td', { colspan: 4, text: o('sl.no_outbox') })]));
    }).catch(refusedIn(sl.msg));
  }

  C.addView('slots', { right: 'slots', load: function () { loadSetup().then(loadSlots).catch(refusedIn(sl.msg)); } });

  /* ---- 予約実績: the booking report ---- */
  var bk = {
    from: el('input', { id: 'bk-from', type: 'date' }), to: el('input', { id: 'bk-to', type: 'date' }),
    venue: el('select', { id: 'bk-venue' }), table: el('table', { id: 'bk-table', class: 'ops-table' }),
    csv: el('a', { id: 'bk-csv', href: '/api/v1/admin/ops/report.csv', download: '', text: o('bk.csv') }),
    msg: el('p', { class: 'ops-msg', role: 'status', 'aria-live': 'polite' }),
  };
  var COLS = ['slots', 'capacity', 'booked', 'fill_rate', 'checked_in', 'vaccinated', 'examined', 'no_show', 'cancelled']
    .map(function (k) { return [k, S.h[k]]; });
  /* The national record's file (VRS) for the doses of a period. */
  var vrs = {
    from: el('input', { id: 'vrs-from', type: 'date' }), to: el('input', { id: 'vrs-to', type: 'date' }),
    link: el('a', { id: 'vrs-csv', href: '/api/v1/admin/ops/vrs.csv', download: '', text: o('vrs.download') }),
    msg: el('p', { id: 'vrs-msg', class: 'ops-msg', role: 'status', 'aria-live': 'polite' }),
  };
  function vrsLink() {
    vrs.link.href = '/api/v1/admin/ops/vrs.csv?' + new URLSearchParams({ from: vrs.from.value, to: vrs.to.value || vrs.from.value }).toString();
  }
  [vrs.from, vrs.to].forEach(function (i) { i.addEventListener('change', vrsLink); });
  vrs.link.addEventListener('click', function (e) {
    if (!vrs.from.value) { e.preventDefault(); say(vrs.msg, o('vrs.need_from'), true); }
  });
  section('bookings', o('bk.title'), [el('form', { class: 'card ops-bar', onsubmit: function (e) { e.preventDefault(); loadReport(); } }, [
    field(o('sl.from'), bk.from), field(o('sl.to'), bk.to), field(S.h.venue, bk.venue), el('button', { type: 'submit', text: o('sl.show') }), bk.csv]),
  bk.msg, bk.table,
  el('div', { id: 'vrs', class: 'card' }, [el('h2', { text: o('vrs.title') }), el('p', { class: 'ops-sub', text: o('vrs.help') }),
    el('div', { class: 'ops-bar' }, [field(o('vrs.from'), vrs.from), field(o('vrs.to'), vrs.to), vrs.link]), vrs.msg])]);

  function cells(o) {
    return COLS.map(function (c) {
      var v = o[c[0]];
      return el('td', { class: 'num', text: c[0] === 'fill_rate' ? (v === null ? '—' : (100 * v).toFixed(1) + '%') : String(v) });
    });
  }
  function loadReport() {
    var p = { from: bk.from.value, to: bk.to.value, venue: bk.venue.value };
    C.get('ops/report', p).then(function (r) {
      bk.from.value = r.from;
      bk.to.value = r.to;
      p.from = r.from;
      p.to = r.to;
      bk.csv.href = '/api/v1/admin/ops/report.csv?' + new URLSearchParams(p).toString();
      clear(bk.table);
      var body = head(bk.table, [S.h.date, S.h.venue].concat(COLS.map(function (c) { return c[1]; })));
      r.rows.forEach(function (o) { body.appendChild(el('tr', {}, [el('td', { text: day(o.date) }), el('td', { text: o.venue_name })].concat(cells(o)))); });
      body.appendChild(el('tr', { class: 'ops-total' }, [el('th', { scope: 'row', text: S.h.total }), el('td')].concat(cells(r.totals))));
    }).catch(refusedIn(bk.msg));
  }
  C.addView('bookings', { right: 'slots', load: function () {
    if (bk.venue.options.length) { loadReport(); return; }
    C.get('ops/setup').then(function (s) {
      options(bk.venue, s.venues.map(function (v) { return [v.code, v.name]; }), S.all);
      if (!vrs.from.value) { vrs.from.value = s.today; vrs.to.value = s.today; vrsLink(); }
      loadReport();
    }).catch(refusedIn(bk.msg));
  } });

  /* ---- キャンセル待ち: who waits where, since when, and the seats offered ---- */
  var wl = {
    venue: el('select', { id: 'wl-venue' }), date: el('input', { id: 'wl-date', type: 'date' }),
    table: el('table', { id: 'wl-list', class: 'ops-table' }), count: el('p', { id: 'wl-count', class: 'ops-sub' }),
    msg: el('p', { id: 'wl-msg', class: 'ops-msg', role: 'status', 'aria-live': 'polite' }),
  };
  wl.body = head(wl.table, [S.h.ticket, S.h.name, o('wl.venue'), o('wl.date'), S.h.status, o('wl.since'), o('wl.offers')]);
  section('waiting', o('wl.title'), [el('form', { id: 'wl-filter', class: 'card ops-bar', onsubmit: function (e) { e.preventDefault(); loadWaiting(); } }, [
    field(o('wl.venue'), wl.venue), field(o('wl.date'), wl.date), el('button', { type: 'submit', text: o('wl.show') })]),
  wl.count, wl.msg, wl.table]);
  [wl.venue, wl.date].forEach(function (i) { i.addEventListener('change', loadWaiting); });

  function loadWaiting() {
    C.get('ops/waitlist', { venue: wl.venue.value, date: wl.date.value }).then(function (r) {
      if (wl.venue.options.length !== r.venues.length + 1) {
        var keep = wl.venue.value;
        options(wl.venue, r.venues.map(function (v) { return [v.code, v.name]; }), S.all);
        wl.venue.value = keep;
      }
      function when(unix) { return new Date(unix * 1000).toLocaleString(t('ops.locale'), { timeZone: r.zone || undefined }); }
      clear(wl.body);
      wl.count.textContent = o('wl.count', { n: r.waiting.length });
      r.waiting.forEach(function (w) {
        var offers = el('ul', { class: 'ops-list' });
        w.offers.forEach(function (f) {
          offers.appendChild(el('li', { class: 'offer-' + f.status, text: o('wl.offer', { date: day(f.date), start: f.start,
            venue: f.venue_name, status: S.wl.offer_status[f.status] || f.status, sent: when(f.sent) }) }));
        });
        wl.body.appendChild(el('tr', { 'data-ticket': w.ticket, class: 'wl-' + w.status }, [
          el('td', { class: 'ops-ticket', text: w.ticket }), el('td', { text: w.name_kana || '—' }),
          el('td', { text: w.venue_name || o('wl.any_venue') }), el('td', { text: w.date ? day(w.date) : o('wl.any_date') }),
          el('td', { text: o('wl.' + w.status) }), el('td', { text: when(w.since) }),
          el('td', {}, [w.offers.length ? offers : o('wl.no_offers')])]));
      });
      if (!r.waiting.length) wl.body.appendChild(el('tr', {}, [el('td', { colspan: 7, text: o('wl.empty') })]));
    }).catch(refusedIn(wl.msg));
  }
  C.addView('waiting', { right: 'calls', load: loadWaiting });
})();
