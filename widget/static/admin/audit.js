/* The console's audit log, for administrators: every change with who, when,
 * its kind, and the object before and after, newest first; filtered by
 * account, kind and day (the town's), and downloaded as CSV for Excel with
 * the same filters. Failed log-ins are there under the name that was tried. */
(function () {
  'use strict';

  var C = window.mgConsole;
  if (!C) return;
  var el = C.el, clear = C.clear, t = C.t;

  /* The kinds hold dots (entry.update): looked up in the table itself. */
  function kindName(k) { var table = t('kind'); return (table && table[k]) || k; }
  function select(name, label) { return el('select', { name: name, 'aria-label': label }); }
  var f = { who: select('who', t('audit.user')), kind: select('kind', t('audit.kind')),
    day: el('input', { type: 'date', name: 'day' }) };
  var csv = el('a', { id: 'audit-csv', href: '/api/v1/admin/audit.csv', download: 'madoguchi-audit.csv', text: t('audit.csv') });
  var form = el('form', { id: 'audit-filter', class: 'card ops-bar row' }, [
    el('label', {}, [t('audit.user'), f.who]), el('label', {}, [t('audit.kind'), f.kind]),
    el('label', {}, [t('audit.day'), f.day]), el('button', { type: 'submit', text: t('audit.show') }), csv]);
  var note = el('p', { class: 'muted' });
  var table = el('table', { id: 'audit-list' });
  var body = table.appendChild(el('tbody'));
  table.insertBefore(el('thead', {}, [el('tr', {}, ['h_when', 'h_who', 'h_kind', 'h_target', 'h_before', 'h_after'].map(function (k) {
    return el('th', { scope: 'col', text: t('audit.' + k) });
  }))]), body);
  var empty = el('p', { id: 'audit-empty', text: t('audit.empty'), hidden: true });
  document.querySelector('main').appendChild(el('section', { id: 'view-audit', class: 'view', hidden: true },
    [el('h2', { text: t('audit.title') }), form, el('div', { class: 'card' }, [note, table, empty])]));

  function fill(s, values, label) {
    var keep = s.value;
    clear(s);
    s.appendChild(el('option', { value: '', text: t('audit.all') }));
    values.forEach(function (v) { s.appendChild(el('option', { value: v, text: label(v) })); });
    s.value = values.indexOf(keep) >= 0 ? keep : '';
  }
  function json(v) { return v === undefined || v === null ? '' : JSON.stringify(v, null, 1); }
  function params() {
    var p = {};
    ['who', 'kind', 'day'].forEach(function (k) { if (f[k].value) p[k] = f[k].value; });
    return p;
  }
  function show(r) {
    note.textContent = t('audit.limit', { n: r.limit });
    clear(body);
    r.audit.forEach(function (a) {
      body.appendChild(el('tr', { 'data-kind': a.action }, [el('td', { text: a.time }), el('td', { class: 'audit-who', text: a.who }),
        el('td', { class: 'audit-kind', text: kindName(a.action) }), el('td', { class: 'audit-target', text: a.target }),
        el('td', { class: 'audit-json audit-before', text: json(a.before) }), el('td', { class: 'audit-json audit-after', text: json(a.after) })]));
    });
    empty.hidden = r.audit.length > 0;
  }
  /* The records of the filters; with facets, the filters' choices too
   * (once, when the page opens: a filter's change fetches the records only). */
  function load(facets) {
    var p = params();
    csv.href = '/api/v1/admin/audit.csv' + (Object.keys(p).length ? '?' + new URLSearchParams(p) : '');
    if (facets) p.facets = 1;
    C.get('audit', p).then(function (r) {
      if (r.facets) {
        fill(f.who, r.facets.who, function (v) { return v; });
        fill(f.kind, r.facets.kinds, kindName);
      }
      show(r);
    }).catch(C.failed);
  }
  form.addEventListener('submit', function (ev) { ev.preventDefault(); load(false); });

  C.addView('audit', { right: 'users', load: function () { load(true); } });
})();
