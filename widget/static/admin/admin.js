/* The staff console: one page, a view per task (dashboard, review queue,
 * entry editor, eval, CSV, forecast), talking to /api/v1/admin. The session
 * is an HttpOnly cookie; every change carries the CSRF token the server gave
 * at login. No innerHTML: text from the log and the entries stays text. */
(function () {
  'use strict';

  var W = window.mgWords, t = W.t;
  var API = '/api/v1/admin/';
  var PREVIEW_DELAY_MS = 300;   // after the last keystroke
  var PICK_DELAY_MS = 250;
  var session = null;           // {name, role, csrf, rights}
  var charts = {};

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, kids) {
    var n = document.createElement(tag);
    for (var k in attrs || {}) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') n.textContent = v;
      else if (k === 'class') n.className = v;
      else if (k.slice(0, 2) === 'on') n.addEventListener(k.slice(2), v);
      else n.setAttribute(k, v === true ? '' : v);
    }
    (kids || []).forEach(function (c) {
      if (c !== null && c !== undefined) n.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return n;
  }
  function clear(n) { n.textContent = ''; return n; }
  /* action (optional): {label, run} as a button beside the message (an undo). */
  function toast(text, bad, action) {
    var t = $('toast');
    t.textContent = text;
    t.className = bad ? 'bad' : 'good';
    if (action) {
      t.appendChild(el('button', { type: 'button', class: 'toast-act', text: action.label, onclick: function () {
        t.textContent = '';
        action.run();
      } }));
    }
  }
  function pct(v) { return v === null || v === undefined ? '—' : (100 * v).toFixed(1) + ' %'; }
  function today() {
    var d = new Date();
    return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  }

  /* ---- the API ---- */
  function call(method, path, body) {
    var opts = { method: method, headers: {}, credentials: 'same-origin' };
    if (method === 'POST') {
      opts.headers['Content-Type'] = 'application/json';
      if (session) opts.headers['X-CSRF-Token'] = session.csrf;
      opts.body = JSON.stringify(body || {});
    }
    return fetch(API + path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (r.status === 401 && path !== 'login') { session = null; show('login'); }
        if (!r.ok) {
          var e = new Error((j.error && j.error.message) || ('HTTP ' + r.status));
          e.status = r.status;
          e.detail = j.error || {};   // a refusal's reason, for pages that word it
          throw e;
        }
        return j;
      });
    });
  }
  function get(path, params) {
    var q = new URLSearchParams();
    for (var k in params || {}) if (params[k] !== '' && params[k] !== undefined && params[k] !== null) q.set(k, params[k]);
    var s = q.toString();
    return call('GET', path + (s ? '?' + s : ''));
  }
  function post(path, body) { return call('POST', path, body); }
  function failed(e) { if (e.status !== 401) toast(W.refusal(e), true); }

  /* ---- views ---- */
  var VIEWS = {
    dashboard: { right: 'reports', load: loadDashboard },
    queue: { right: 'edit', load: loadQueue },
    entry: { right: 'edit', load: loadEntry },
    eval: { right: 'edit', load: function () {} },
    data: { right: 'edit', load: loadReplaced },
    forecast: { right: 'forecast', load: loadForecast },
  };

  function show(name, arg) {
    document.querySelectorAll('.view').forEach(function (v) { v.hidden = true; });
    var logged = !!session;
    $('nav').hidden = !logged;
    $('who').hidden = !logged;
    if (!logged) name = 'login';
    $('view-' + name).hidden = false;
    document.querySelectorAll('#nav a').forEach(function (a) {
      var v = VIEWS[a.dataset.view];
      a.hidden = !(session && v && session.rights[v.right]);
      if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    if (name !== 'login') VIEWS[name].load(arg);
  }

  function route() {
    var h = location.hash.slice(1).split('/');
    var name = VIEWS[h[0]] ? h[0] : null;
    if (!name && session) {
      // The first screen of the navigation that the role may see.
      name = Array.prototype.map.call(document.querySelectorAll('#nav a'), function (a) { return a.dataset.view; })
        .filter(function (n) { return VIEWS[n] && session.rights[VIEWS[n].right]; })[0];
      if (!name) { show('login'); toast(t('no_screen'), true); return; }
    }
    show(name || 'login', h.slice(1).map(decodeURIComponent).join('/'));
  }

  function whoName(s) { $('who-name').textContent = s.name + '（' + t('role.' + s.role) + '）'; }

  /* ---- login ---- */
  $('login-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var f = ev.target;
    $('login-error').textContent = '';
    post('login', { name: f.name.value, password: f.password.value }).then(function (s) {
      session = s;
      f.password.value = '';
      whoName(s);
      route();
    }).catch(function (e) { $('login-error').textContent = W.refusal(e); });
  });
  $('logout').addEventListener('click', function () {
    post('logout').then(function () { session = null; show('login'); }).catch(failed);
  });

  /* ---- dashboard ---- */
  function chart(id, opts, data) {
    if (charts[id]) charts[id].destroy();
    var box = clear($(id));
    opts.width = Math.max(280, box.clientWidth || 520);
    opts.height = 220;
    charts[id] = new uPlot(opts, data, box);
  }
  function table(box, head, rows) {
    clear(box);
    box.appendChild(el('tr', {}, head.map(function (h) { return el('th', { text: h }); })));
    rows.forEach(function (r) { box.appendChild(el('tr', {}, r.map(function (c) { return el('td', { text: String(c) }); }))); });
    if (!rows.length) box.appendChild(el('tr', {}, [el('td', { colspan: head.length, text: t('none') })]));
  }

  /* Charts over whole things: days and hours on an axis of their own (no
   * clock times between them), counts in whole steps. The labels drawn are
   * also kept on the chart's box (data-ticks), where a test can read them. */
  var DAY_MS = 86400000, WEEKDAYS = ['日', '月', '火', '水', '木', '金', '土'];
  var WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];
  var MAX_TICKS = 10;
  function dayLabel(iso) {
    var d = new Date(iso + 'T00:00:00Z');
    return (d.getUTCMonth() + 1) + '/' + d.getUTCDate() + '(' + WEEKDAYS[d.getUTCDay()] + ')';
  }
  /* Every calendar day from the first to the last of list ({day, ...}), the
   * days missing from it as fill(day): the axis spans the days with figures. */
  function calendar(list, fill) {
    if (!list.length) return [];
    var byDay = {}, out = [];
    list.forEach(function (d) { byDay[d.day] = d; });
    var last = Date.parse(list[list.length - 1].day + 'T00:00:00Z');
    for (var t = Date.parse(list[0].day + 'T00:00:00Z'); t <= last; t += DAY_MS) {
      var day = new Date(t).toISOString().slice(0, 10);
      out.push(byDay[day] || fill(day));
    }
    return out;
  }
  /* An x axis of n whole steps (0 … n-1) labelled by label(i), at most
   * MAX_TICKS of them, a step's width around each. */
  function stepAxis(id, n, label, every) {
    var step = Math.max(every || 1, Math.ceil(n / MAX_TICKS));
    return {
      scale: { time: false, range: function () { return [-0.5, n - 0.5]; } },
      axis: {
        splits: function () { var s = []; for (var i = 0; i < n; i += step) s.push(i); return s; },
        values: function (u, splits) {
          var labels = splits.map(function (i) { return label(i); });
          $(id).dataset.ticks = JSON.stringify(labels);
          return labels;
        },
      },
      legend: function (u, v) { return v === null || v === undefined ? '' : label(v); },
    };
  }
  function dayAxis(id, days) {
    return stepAxis(id, days.length, function (i) { return dayLabel(days[i].day); });
  }
  function bars(color) { return { stroke: color, fill: color, points: { show: false }, paths: uPlot.paths.bars({ size: [0.6] }) }; }
  function counts(u, min, max) { return [0, Math.max(1, max)]; }

  function drawDays(r) {
    var days = calendar(r.days || [], function (day) { return { day: day, conversations: 0, deflection_rate: null }; });
    var x = dayAxis('chart-days', days);
    chart('chart-days', {
      scales: { x: x.scale, y: { range: [0, 100] }, n: { range: counts } },
      series: [{ label: t('fc.h_day'), value: x.legend },
        Object.assign({ label: t('dash.s_conversations'), scale: 'n' }, bars('rgba(10,88,202,0.35)')),
        { label: t('dash.s_deflection'), stroke: '#1a7f37', width: 2, points: { show: true, size: 7 } }],
      axes: [x.axis, { scale: 'n', label: t('dash.s_conversations'), incrs: WHOLE },
        { side: 1, scale: 'y', label: '%', incrs: [10, 20, 25, 50], grid: { show: false } }],
    }, [days.map(function (_, i) { return i; }), days.map(function (d) { return d.conversations; }),
      days.map(function (d) { return d.deflection_rate === null ? null : 100 * d.deflection_rate; })]);
  }
  function drawHours(r) {
    var hours = r.hours || [];
    var x = stepAxis('chart-hours', hours.length, function (h) { return h + '時'; }, 3);
    chart('chart-hours', {
      scales: { x: x.scale, y: { range: counts } },
      series: [{ label: t('dash.s_hour'), value: x.legend }, Object.assign({ label: t('dash.s_questions') }, bars('rgba(111,66,193,0.5)'))],
      axes: [x.axis, { incrs: WHOLE }],
    }, [hours.map(function (_, i) { return i; }), hours]);
  }

  /* The figures, each marked with its name in the report (data-figure). */
  /* The event log's health (/healthz): staff learn that figures are missing
   * from the page they read them on. */
  function showLogHealth() {
    fetch('/healthz', { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (h) {
      var box = $('log-health'), log = h.event_log || {};
      box.hidden = h.status !== 'degraded';
      box.textContent = box.hidden ? '' : t('dash.log_failing', { error: log.last_error || '', failed: log.failed || 0 });
    }).catch(function () {});
  }

  function loadDashboard() {
    showLogHealth();
    var f = $('period');
    var params = { from: f.from.value, to: f.to.value };
    var q = new URLSearchParams(params).toString();
    $('report-csv').href = API + 'report.csv' + (f.from.value ? '?' + q : '');
    get('report', params).then(function (r) {
      if (!f.from.value) { f.from.value = r.from || ''; f.to.value = r.to || ''; }
      var tot = r.totals, days = r.days || [];
      var last = days.filter(function (d) { return d.day === today(); })[0];
      var calls = (r.clicks || []).filter(function (c) { return c.click === 'phone:call_center'; })[0];
      var cards = [
        ['deflection_today', t('dash.today'), last ? pct(last.deflection_rate) : '—'],
        ['deflection_rate', t('dash.period'), pct(tot.deflection_rate)],
        ['conversations', t('dash.conversations'), tot.conversations],
        ['questions', t('dash.questions'), tot.questions],
        ['answered_rate', t('dash.answered'), pct(tot.answered_rate)],
        ['clarify_rate', t('dash.clarified'), pct(tot.clarify_rate)],
        ['clarify_chosen', t('dash.clarify_chosen'), tot.clarify_chosen],
        ['handoff_rate', t('dash.handed_off'), pct(tot.handoff_rate)],
        ['rephrase_rate', t('dash.rephrased'), pct(tot.rephrase_rate)],
        ['call_taps', t('dash.call_taps'), calls ? calls.n : 0],
        ['self_service', t('dash.self_service'), tot.self_service],
        ['bookings', t('dash.bookings'), tot.bookings_completed + ' / ' + tot.bookings_cancelled],
        ['helpful', t('dash.feedback'), tot.helpful + ' / ' + tot.unhelpful],
      ];
      var box = clear($('totals'));
      cards.forEach(function (c) {
        box.appendChild(el('div', { class: 'stat', 'data-figure': c[0] }, [el('span', { text: c[1] }), el('strong', { text: String(c[2]) })]));
      });
      if (window.uPlot) {
        drawDays(r);
        drawHours(r);
      }
      table($('topics'), [t('dash.h_topic'), t('dash.h_questions'), t('dash.h_answered'), '👎'], (r.topics || []).slice(0, 10).map(function (o) {
        return [o.question ? o.question + ' (' + o.name + ')' : o.name, o.questions, pct(o.answered_rate), o.unhelpful];
      }));
      table($('handoffs'), [t('dash.h_route'), t('dash.h_questions'), t('dash.h_rate')], (r.handoffs || []).map(function (o) {
        return [t('route.' + o.route), o.questions, pct(o.rate)];
      }));
      table($('clicks'), [t('dash.h_tapped'), t('dash.h_times')], (r.clicks || []).map(function (o) { return [o.click, o.n]; }));
      table($('unhelpful'), [t('dash.h_entry'), '👎'], (r.unhelpful_entries || []).map(function (o) { return [o.slug, o.n]; }));
    }).catch(failed);
  }
  $('period').addEventListener('submit', function (ev) { ev.preventDefault(); loadDashboard(); });

  /* ---- a change previewed before it is published (eval/compare) ---- */
  var EVAL_ROWS = [['top1', t('eval.top1'), '%'], ['top3', t('eval.top3'), '%'], ['mrr', t('eval.mrr'), ''],
    ['answered', t('eval.answered'), '%'], ['answered_wrongly', t('eval.answered_wrongly'), '%', true],
    ['settled', t('eval.settled'), '%'], ['out_handed_off', t('eval.out_handed_off'), '%'],
    ['out_answered', t('eval.out_answered'), '%', true]];
  /* One figure of EVAL_ROWS, now against was (null: none), with the change
   * coloured by whether it is better (up) or worse (down); was's column
   * first when wasFirst (before → after), else now's (this run, the last). */
  function figureRow(row, now, was, wasFirst) {
    var fmt = function (v) { return v === null || v === undefined ? '—' : (row[2] ? v.toFixed(1) + ' %' : v.toFixed(3)); };
    var delta = was === null || was === undefined ? null : now - was;
    var better = delta === null || Math.abs(delta) < 1e-9 ? '' : ((delta > 0) !== !!row[3] ? 'up' : 'down');
    var cells = [el('td', { text: fmt(now) }), el('td', { text: fmt(was) })];
    if (wasFirst) cells.reverse();
    return el('tr', {}, [el('th', { scope: 'row', text: row[1] })].concat(cells, [
      el('td', { class: better, text: delta === null ? '' : (delta > 0 ? '+' : '') + (row[2] ? delta.toFixed(1) : delta.toFixed(3)) })]));
  }
  /* How one side answered a question: its first topic, the decision, the outcome. */
  function sideText(s) {
    return t('compare.side', { topic: s.topic || t('none'), decision: t('compare.decision.' + s.decision),
      outcome: t('compare.outcome.' + s.outcome) });
  }
  /* Runs the labelled set against the knowledge base with change (the
   * body of eval/compare: {entry} or {alternate}) and shows, in box, the
   * totals before → after and the questions that get worse (first, red),
   * better, and answered otherwise. Resolves to the reply (null when it
   * failed: the refusal is shown in box). */
  function compareChange(box, change) {
    clear(box).hidden = false;
    box.appendChild(el('p', { role: 'status', class: 'muted', text: t('compare.running') }));
    return post('eval/compare', change).then(function (r) {
      clear(box);
      box.appendChild(el('h3', { text: t('compare.title', { n: r.before.questions, set: r.set === 'uploaded' ? t('compare.uploaded') : r.set }) }));
      var tbl = el('table', { class: 'compare-totals' }, [el('tr', {}, ['', t('compare.before'), t('compare.after'), t('eval.change')]
        .map(function (h) { return el('th', { scope: 'col', text: h }); }))]);
      EVAL_ROWS.forEach(function (row) { tbl.appendChild(figureRow(row, r.after[row[0]], r.before[row[0]], true)); });
      box.appendChild(tbl);
      var groups = [['worse', 'down'], ['better', 'up'], ['changed', '']];
      groups.forEach(function (g) {
        var qs = r.questions.filter(function (q) { return q.change === g[0]; });
        if (!qs.length) return;
        box.appendChild(el('h4', { class: g[1], text: t('compare.' + g[0], { n: qs.length }) }));
        box.appendChild(el('ul', { class: 'compare-list compare-' + g[0] }, qs.map(function (q) {
          return el('li', { class: g[1], 'data-line': q.line }, [
            el('strong', { text: '「' + q.question + '」' }), ' ',
            el('span', { class: 'muted', text: q.expected === '-' ? t('compare.out_of_scope') : t('compare.expected', { topic: q.expected }) }),
            el('br'), t('compare.before') + '：' + sideText(q.before) + ' → ' + t('compare.after') + '：' + sideText(q.after)]);
        })));
      });
      if (!r.changes.worse) box.appendChild(el('p', { class: 'up', text: t('compare.none_worse') }));
      box.appendChild(el('p', { class: 'muted', text: t('compare.same', { n: r.changes.same }) }));
      return r;
    }).catch(function (e) {
      clear(box).appendChild(el('p', { class: 'error', role: 'alert', text: W.refusal(e) }));
      if (e.status === 401) throw e;
      return null;
    });
  }
  /* Publishing after a preview that made questions worse asks first. */
  function publishAnyway(r) {
    return !r || !r.changes.worse || window.confirm(t('compare.publish_worse', { n: r.changes.worse }));
  }

  /* ---- review queue ---- */
  function picker(initial, onPick) {
    var input = el('input', { type: 'search', class: 'pick-q', value: initial, 'aria-label': t('queue.search') });
    var list = el('ul', { class: 'picks' });
    var timer;
    function search() {
      get('entries', { q: input.value }).then(function (r) {
        clear(list);
        r.entries.forEach(function (e) {
          list.appendChild(el('li', {}, [
            el('button', { type: 'button', class: 'pick', 'data-id': e.id, onclick: function () { onPick(e); } },
              [el('b', { text: e.slug || e.id }), ' ', e.question, e.status === 'draft' ? t('queue.draft') : '']),
          ]));
        });
      }).catch(failed);
    }
    input.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(search, PICK_DELAY_MS); });
    search();
    return el('div', { class: 'picker' }, [input, list]);
  }

  function loadQueue() {
    get('queue').then(function (r) {
      var ol = clear($('queue'));
      $('queue-empty').hidden = r.groups.length > 0;
      r.groups.forEach(function (g) {
        var li = el('li', { class: 'group card', 'data-key': g.key });
        var q = el('input', { class: 'group-q', value: g.question, 'aria-label': t('queue.question') });
        var tools = el('div', { class: 'row' });
        function done(msg) { li.remove(); toast(msg); $('queue-empty').hidden = ol.children.length > 0; }
        /* Residents get the entry for this wording the moment it is added:
         * staff confirm first, and the message after it offers the undo. */
        function confirmAdd(e) {
          var old = li.querySelector('.confirm');
          if (old) old.remove();
          var name = e.slug || e.id, question = q.value;
          var box = el('div', { class: 'confirm', role: 'group', 'aria-label': t('queue.confirm_yes') }, [
            el('p', { text: t('queue.confirm', { q: question, entry: name }) })]);
          var checked = null, panel = el('div', { class: 'compare', hidden: true });
          var yes = el('button', { type: 'button', class: 'primary act-confirm', text: t('queue.confirm_yes'), onclick: function () {
            if (!publishAnyway(checked)) return;
            post('queue/alternate', { entry: e.id, question: question, key: g.key }).then(function () {
              done(t('queue.added', { q: question, entry: name }));
              toast(t('queue.added', { q: question, entry: name }), false, { label: t('queue.undo'), run: function () {
                post('queue/undo', { entry: e.id, question: question, key: g.key }).then(function () {
                  toast(t('queue.undone', { q: question, entry: name }));
                  loadQueue();
                }).catch(failed);
              } });
            }).catch(failed);
          } });
          var check = el('button', { type: 'button', class: 'act-compare', text: t('compare.run'), onclick: function () {
            compareChange(panel, { alternate: { entry: e.id, question: question } }).then(function (r) { checked = r; });
          } });
          box.appendChild(el('div', { class: 'row' }, [yes, check, el('button', { type: 'button', class: 'act-cancel', text: t('queue.confirm_no'),
            onclick: function () { box.remove(); } })]));
          box.appendChild(panel);
          li.appendChild(box);
          yes.focus();
        }
        tools.appendChild(el('button', { type: 'button', class: 'act-alt', text: t('queue.add_alt'), onclick: function () {
          if (li.querySelector('.picker')) return;
          li.appendChild(picker(q.value, confirmAdd));
          li.querySelector('.pick-q').focus();
        } }));
        tools.appendChild(el('button', { type: 'button', class: 'act-draft', text: t('queue.new_draft'), onclick: function () {
          pendingDraft = { question: q.value, key: g.key };
          location.hash = '#entry/new';
        } }));
        tools.appendChild(el('button', { type: 'button', class: 'act-dismiss', text: t('queue.dismiss'), onclick: function () {
          post('queue/dismiss', { key: g.key }).then(function () { done(t('queue.dismissed')); }).catch(failed);
        } }));
        li.appendChild(el('div', { class: 'group-head' }, [el('strong', { class: 'count', text: '×' + g.n }), q]));
        li.appendChild(el('p', { class: 'muted', text: t('queue.also', { qs: g.questions.join(' / '), day: g.last_day }) +
          (g.top_slug ? t('queue.best', { slug: g.top_slug }) : '') }));
        li.appendChild(tools);
        ol.appendChild(li);
      });
    }).catch(failed);
  }

  /* ---- entry editor ---- */
  var FIELDS = ['id', 'slug', 'category', 'route', 'status', 'question', 'answer', 'question_en', 'answer_en',
    'answer_easy', 'alt_questions', 'keywords', 'valid_from', 'valid_to', 'url', 'source'];
  var pendingDraft = null;
  var previewTimer;
  var topics = [];              // [{slug, category, question}] of the knowledge base

  /* A select's options: the list, and value kept as one more when the list lacks it. */
  function options(select, list, value, other) {
    clear(select);
    select.appendChild(el('option', { value: '', text: t('entry.pick') }));
    list.forEach(function (o) { select.appendChild(el('option', { value: o.value, text: o.text })); });
    if (value && !list.some(function (o) { return o.value === value; })) select.appendChild(el('option', { value: value, text: other }));
    select.value = value || '';
  }
  function topicOptions(slug, category) {
    options($('entry-slug'), topics.map(function (o) { return { value: o.slug, text: o.slug + ' — ' + o.question }; }), slug,
      t('entry.topic_other', { slug: slug }));
    var cats = [];
    topics.forEach(function (o) { if (o.category && cats.indexOf(o.category) < 0) cats.push(o.category); });
    options($('entry-category'), cats.map(function (c) { return { value: c, text: c }; }), category,
      t('entry.topic_other', { slug: category }));
  }
  $('entry-slug').addEventListener('change', function () {
    var o = topics.filter(function (x) { return x.slug === $('entry-slug').value; })[0];
    if (o) $('entry-category').value = o.category;
  });
  /* The town's facts an answer may name: a click puts {{key}} where the cursor is. */
  function showKeys(keys) {
    var ul = clear($('entry-keys'));
    keys.forEach(function (k) {
      var text = '{{' + k.key + '}}';
      ul.appendChild(el('li', {}, [el('button', { type: 'button', class: 'key', 'data-key': k.key,
        'aria-label': t('entry.key_insert', { key: text, value: k.value }), title: k.value, onclick: function () {
          var a = $('entry-form').elements.answer;
          a.setRangeText(text, a.selectionStart, a.selectionEnd, 'end');
          a.focus();
          preview();
        } }, [el('code', { text: text })])]));
    });
  }

  function fillForm(e) {
    var f = $('entry-form');
    topicOptions(e.slug || '', e.category || '');
    FIELDS.forEach(function (k) {
      if (k === 'slug' || k === 'category') return;
      var v = e[k] || '';
      if (k === 'alt_questions') v = v.split('|').filter(Boolean).join('\n');
      f.elements[k].value = v;
    });
    $('entry-title').textContent = e.id ? t('entry.title_id', { id: e.id }) + (e.slug ? ' · ' + e.slug : '') : t('entry.new');
    $('entry-error').textContent = '';
    $('unpublish').hidden = !(e.id && e.status === 'published');
    $('entry-delete').hidden = !e.id;
    checked = null;
    clear($('entry-compare')).hidden = true;
    preview();
  }
  function formFields(status) {
    var f = $('entry-form'), o = {};
    FIELDS.forEach(function (k) { o[k] = f.elements[k].value; });
    o.alt_questions = o.alt_questions.split('\n').map(function (s) { return s.trim(); }).filter(Boolean).join('|');
    o.status = status;
    return o;
  }
  var checked = null;            // the editor's last preview {fields, reply}, until the next entry
  /* Publishing is previewed first: with the last preview when it was of
   * these very fields, else with a new one (an edit after a preview is
   * another change). Resolves to whether to publish: yes when nothing gets
   * worse, or staff confirm; a refused preview leaves the save to say why. */
  function previewed(fields) {
    var key = JSON.stringify(fields);
    if (checked && checked.fields === key) return Promise.resolve(publishAnyway(checked.reply));
    return compareChange($('entry-compare'), { entry: fields }).then(function (r) {
      if (!r) return true;
      checked = { fields: key, reply: r };
      return publishAnyway(r);
    });
  }
  function save(status) {
    var draft = pendingDraft, fields = formFields(status);
    (status === 'published' ? previewed(fields) : Promise.resolve(true)).then(function (go) {
      if (go) publish(status, fields, draft);
    });
  }
  function publish(status, fields, draft) {
    post('entries', { entry: fields }).then(function (e) {
      fillForm(e);
      toast(t(status === 'draft' ? 'entry.draft_saved' : 'entry.published', { id: e.id }));
      history.replaceState(null, '', '#entry/' + encodeURIComponent(e.id));
      if (draft && draft.key) return post('queue/dismiss', { key: draft.key }).then(function () { pendingDraft = null; });
    }).catch(function (e) { $('entry-error').textContent = W.refusal(e); });
  }
  /* The entry as publishing it would make it, tried on the labelled set. */
  $('entry-compare-run').addEventListener('click', function () {
    var fields = formFields('published');
    compareChange($('entry-compare'), { entry: fields }).then(function (r) {
      if (r) checked = { fields: JSON.stringify(fields), reply: r };
    });
  });
  $('save-draft').addEventListener('click', function () { save('draft'); });
  $('publish').addEventListener('click', function () { save('published'); });
  $('unpublish').addEventListener('click', function () {
    var id = $('entry-form').elements.id.value;
    post('entries/unpublish', { id: id }).then(function (e) {
      fillForm(e);
      toast(t('entry.unpublished', { id: e.id }));
    }).catch(function (e) { $('entry-error').textContent = W.refusal(e); });
  });
  $('entry-delete').addEventListener('click', function () {
    var id = $('entry-form').elements.id.value;
    if (!window.confirm(t('entry.delete_confirm'))) return;
    post('entries/delete', { id: id }).then(function () {
      toast(t('entry.deleted', { id: id }));
      location.hash = '#entry/new';
    }).catch(function (e) { $('entry-error').textContent = W.refusal(e); });
  });

  /* The widget's answer bubble: first paragraph, the rest behind 詳しく, the link. */
  function preview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(function () {
      var f = $('entry-form');
      post('preview', { question: f.elements.question.value, answer: f.elements.answer.value }).then(function (p) {
        var box = clear($('preview'));
        box.appendChild(el('div', { class: 'mg-user' }, [el('p', { text: p.question })]));
        var parts = String(p.answer).split(/\n\s*\n/);
        var bot = el('div', { class: 'mg-bot' }, [el('p', { text: parts[0] })]);
        if (parts.length > 1) {
          var d = el('details', {}, [el('summary', { text: '詳しく見る' })]);
          parts.slice(1).forEach(function (t) { d.appendChild(el('p', { text: t })); });
          bot.appendChild(d);
        }
        if (f.elements.url.value) bot.appendChild(el('p', {}, [el('a', { href: '#', text: '詳しくはこちら' })]));
        bot.appendChild(el('p', { class: 'muted', text: 'この回答は役に立ちましたか？ 👍 👎' }));
        box.appendChild(bot);
      }).catch(function () {});
    }, PREVIEW_DELAY_MS);
  }
  $('entry-form').addEventListener('input', preview);

  var searchTimer;
  function searchEntries() {
    get('entries', { q: $('entry-search').value }).then(function (r) {
      var ul = clear($('entry-list'));
      r.entries.forEach(function (e) {
        ul.appendChild(el('li', {}, [el('a', { href: '#entry/' + encodeURIComponent(e.id) },
          [el('b', { text: e.slug || e.id }), ' ', e.question, e.status === 'draft' ? t('queue.draft') : ''])]));
      });
    }).catch(failed);
  }
  $('entry-search').addEventListener('input', function () { clearTimeout(searchTimer); searchTimer = setTimeout(searchEntries, PICK_DELAY_MS); });
  $('entry-new').addEventListener('click', function () { pendingDraft = null; location.hash = '#entry/new'; });

  function loadEntry(id) {
    searchEntries();
    get('topics').then(function (r) {
      topics = r.topics;
      showKeys(r.keys);
      var f = $('entry-form');
      topicOptions(f.elements.slug.value, f.elements.category.value);
    }).catch(failed);
    if (id === 'new' || !id) {
      var d = pendingDraft || {};
      fillForm({ question: d.question || '', status: 'draft' });
      return;
    }
    pendingDraft = null;
    get('entries/' + encodeURIComponent(id)).then(fillForm).catch(failed);
  }

  /* ---- eval ---- */
  function showEval(r) {
    var prev = JSON.parse(sessionStorage.getItem('mg-eval') || 'null');
    var tbl = clear($('eval-table'));
    tbl.appendChild(el('tr', {}, ['', t('eval.now'), t('eval.last'), t('eval.change')].map(function (h) { return el('th', { text: h }); })));
    EVAL_ROWS.forEach(function (row) { tbl.appendChild(figureRow(row, r[row[0]], prev ? prev[row[0]] : null)); });
    tbl.appendChild(el('tr', {}, [el('th', { text: t('eval.questions') }), el('td', { text: r.questions + ' (' + r.set + ')' })]));
    (r.bad_lines || []).forEach(function (b) {
      tbl.appendChild(el('tr', {}, [el('th', { text: t('eval.line', { n: b.line }) }), el('td', { colspan: 3, text: b.message })]));
    });
    sessionStorage.setItem('mg-eval', JSON.stringify(r));
  }
  function runEval(body) {
    toast(t('eval.running'));
    post('eval', body).then(function (r) { showEval(r); toast(t('eval.done', { n: r.questions })); }).catch(failed);
  }
  $('eval-run').addEventListener('click', function () { runEval({}); });
  $('eval-file').addEventListener('change', function (ev) {
    var file = ev.target.files[0];
    if (file) file.text().then(function (tsv) { runEval({ tsv: tsv }); });
  });

  /* ---- CSV import: base64, so that a CP932 file arrives as it is ---- */
  function base64(buf) {
    var bytes = new Uint8Array(buf), s = '';
    for (var i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }
  $('import-run').addEventListener('click', function () {
    var file = $('import-file').files[0];
    var out = clear($('import-result'));
    if (!file) { toast(t('data.choose'), true); return; }
    file.arrayBuffer().then(function (buf) {
      return post('kb.csv', { csv_base64: base64(buf), append: $('import-append').checked });
    }).then(function (r) {
      if (r.ok) { toast(t('data.imported', { n: r.imported })); loadReplaced(); return; }
      toast(t('data.nothing', { msg: r.message }), true);
      r.errors.forEach(function (e) { out.appendChild(el('li', { text: t('data.line', { line: e.line, msg: e.message }) })); });
    }).catch(failed);
  });

  /* The knowledge bases full imports replaced: one click (confirmed) puts
   * one back, and the one it replaces is kept in its turn. */
  function loadReplaced() {
    get('kb/replaced').then(function (r) {
      $('replaced-help').textContent = t('data.replaced_help', { n: r.keep });
      var tbl = clear($('replaced-list'));
      tbl.appendChild(el('tr', {}, [t('data.h_replaced'), t('data.h_entries'), ''].map(function (h) { return el('th', { scope: 'col', text: h }); })));
      r.replaced.forEach(function (b) {
        tbl.appendChild(el('tr', { 'data-id': b.id }, [el('td', { text: b.replaced }), el('td', { text: String(b.entries) }),
          el('td', {}, [el('button', { type: 'button', class: 'act-restore', text: t('data.restore'),
            'aria-label': t('data.restore') + '（' + b.replaced + '）', onclick: function () {
              if (!window.confirm(t('data.restore_confirm', { at: b.replaced, n: b.entries }))) return;
              post('kb/restore', { id: b.id }).then(function (x) {
                toast(t('data.restored', { at: b.replaced, n: x.imported }));
                loadReplaced();
              }).catch(failed);
            } })])]));
      });
      if (!r.replaced.length) tbl.appendChild(el('tr', {}, [el('td', { colspan: 3, text: t('data.no_replaced') })]));
    }).catch(failed);
  }

  /* ---- forecast ---- */
  /* A day of the forecast: its weekday, and the call centre's hours or why it is closed. */
  function openText(d) { return d.closed ? t(d.holiday ? 'fc.closed_holiday' : 'fc.closed') : d.open; }
  function loadForecast() {
    var f = $('forecast-form'), p = {};
    ['from', 'days', 'event_day', 'residents', 'aht', 'target', 'level'].forEach(function (k) { p[k] = f.elements[k].value; });
    get('forecast', p).then(function (r) {
      var s = r.settings || {};
      ['aht', 'target', 'level'].forEach(function (k) { if (!f.elements[k].value && s[k] !== undefined) f.elements[k].value = s[k]; });
      var h = r.history || {};
      var deflection = !h.days && h.deflection_from_log ? t('fc.no_deflection') : t('fc.deflection', { rate: pct(h.deflection_rate) });
      $('forecast-basis').textContent = (h.days ? t('fc.basis', { from: h.from, to: h.to, days: h.days,
        n: Number(h.conversations_per_day).toFixed(1) }) : t('fc.no_history', { from: h.from })) + t('fc.basis_tail', { deflection: deflection });
      var warn = clear($('forecast-warnings'));
      (r.warnings || []).forEach(function (w) {
        var text = t('fc.warn.' + w.code, w);
        warn.appendChild(el('li', { 'data-code': w.code, text: text === 'fc.warn.' + w.code ? w.message : text }));
      });
      warn.hidden = !(r.warnings || []).length;
      var days = r.days || [];
      if (window.uPlot) {
        var x = dayAxis('chart-forecast', days);
        chart('chart-forecast', {
          scales: { x: x.scale, ops: { range: counts } },
          series: [{ label: t('fc.h_day'), value: x.legend }, { label: t('fc.s_contacts'), stroke: '#0a58ca', points: { show: true } },
            { label: t('fc.s_calls'), stroke: '#d63384', width: 2, points: { show: true } },
            Object.assign({ label: t('fc.s_operators'), scale: 'ops' }, bars('rgba(26,127,55,0.35)'))],
          axes: [x.axis, { label: t('fc.per_day'), incrs: WHOLE }, { side: 1, scale: 'ops', label: t('fc.s_operators'), incrs: WHOLE, grid: { show: false } }],
        }, [days.map(function (_, i) { return i; }), days.map(function (d) { return d.contacts; }),
          days.map(function (d) { return d.calls; }), days.map(function (d) { return d.agents; })]);
      }
      table($('forecast-table'), [t('fc.h_day'), t('fc.h_open'), t('fc.h_contacts'), t('fc.h_calls'), t('fc.h_operators'), t('fc.h_level')], days.map(function (d) {
        return [dayLabel(d.day), openText(d), Math.round(d.contacts),
          Math.round(d.calls) + (d.carried_in ? t('fc.carried', { n: Math.round(d.carried_in) }) : ''),
          d.agents, d.closed ? '—' : pct(d.service_level)];
      }));
    }).catch(failed);
  }
  $('forecast-form').addEventListener('submit', function (ev) { ev.preventDefault(); loadForecast(); });

  /* ---- for the pages in files of their own (ops.js): the helpers and a way
   * to add a view, {right, load(arg)}, shown by #name like the others ---- */
  window.mgConsole = {
    addView: function (name, view) { VIEWS[name] = view; },
    el: el, clear: clear, toast: toast, get: get, post: post, failed: failed, t: t, refusal: W.refusal, base64: base64,
    lang: W.lang,
    session: function () { return session; },
  };

  /* ---- start: the words, the language switch, and an existing session
   * (reload) goes straight in ---- */
  W.apply();
  $('lang').addEventListener('click', function () { W.setLang(W.lang() === 'ja' ? 'en' : 'ja'); });
  window.addEventListener('hashchange', function () { if (session) route(); });
  get('session').then(function (s) {
    if (!s.logged_in) { show('login'); return; }
    session = s;
    whoName(s);
    route();
  }).catch(function () { show('login'); });
})();
