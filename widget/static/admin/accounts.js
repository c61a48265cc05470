/* The console's accounts page, for administrators: every account with its
 * role and state; add one, disable, re-enable, unlock, reset the password,
 * change the role. Talks to /api/v1/admin/users through admin.js's helpers;
 * the rules (password length, the last administrator) are the server's. */
(function () {
  'use strict';

  var C = window.mgConsole;
  if (!C) return;
  var el = C.el, clear = C.clear, t = C.t;
  var ROLES = ['admin', 'editor', 'call_center', 'reception'];
  var MIN = 10;   // OPS_PASSWORD_MIN (chatbot/ops_policy.h): a hint, the server decides

  function roleSelect(value, label) {
    var s = el('select', { 'aria-label': label });
    ROLES.forEach(function (r) { s.appendChild(el('option', { value: r, text: t('role.' + r), selected: r === value })); });
    return s;
  }
  var msg = el('p', { id: 'users-msg', class: 'ops-msg', role: 'status', 'aria-live': 'polite' });
  function say(text, bad) { msg.textContent = text; msg.className = 'ops-msg ' + (bad ? 'bad' : 'good'); }
  function refused(e) { if (e.status !== 401) say(C.refusal(e), true); }

  var add = {
    name: el('input', { name: 'name', autocomplete: 'off', required: true }),
    role: roleSelect('editor', t('users.role')),
    password: el('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: String(MIN) }),
  };
  var form = el('form', { id: 'users-add', class: 'card' }, [el('h3', { text: t('users.add') }),
    el('div', { class: 'ops-bar' }, [el('label', {}, [t('users.name'), add.name]), el('label', {}, [t('users.role'), add.role]),
      el('label', {}, [t('users.password'), add.password]), el('button', { type: 'submit', class: 'primary', text: t('users.create') })]),
    el('p', { class: 'muted', text: t('users.password_help', { min: MIN }) })]);
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var name = add.name.value.trim();
    C.post('users', { name: name, role: add.role.value, password: add.password.value }).then(function (r) {
      form.reset();
      say(t('users.created', { name: name }));
      draw(r);
    }).catch(refused);
  });
  var table = el('table', { id: 'users-list', class: 'ops-table' });
  var body = table.appendChild(el('tbody'));
  table.insertBefore(el('thead', {}, [el('tr', {}, ['h_name', 'h_role', 'h_state', 'h_actions'].map(function (k) {
    return el('th', { scope: 'col', text: t('users.' + k) });
  }))]), body);
  var section = el('section', { id: 'view-users', class: 'view ops', hidden: true },
    [el('h2', { text: t('users.title') }), msg, form, el('div', { class: 'card' }, [table])]);
  document.querySelector('main').appendChild(section);

  function change(u, what, extra, done) {
    C.post('users/change', Object.assign({ name: u.name, change: what }, extra || {})).then(function (r) {
      say(t('users.' + done, { name: u.name }));
      draw(r);
    }).catch(refused);
  }
  function row(u) {
    var acts = el('div', { class: 'ops-acts' });
    var state = u.disabled ? t('users.disabled') : u.locked ? t('users.locked') : t('users.active');
    acts.appendChild(u.disabled
      ? el('button', { type: 'button', class: 'act-enable', text: t('users.enable'), onclick: function () { change(u, 'enable', null, 'done_enable'); } })
      : el('button', { type: 'button', class: 'act-disable ops-danger', text: t('users.disable'), onclick: function () { change(u, 'disable', null, 'done_disable'); } }));
    if (u.locked) acts.appendChild(el('button', { type: 'button', class: 'act-unlock', text: t('users.unlock'), onclick: function () { change(u, 'unlock', null, 'done_unlock'); } }));
    var role = roleSelect(u.role, t('users.role') + '（' + u.name + '）');
    acts.appendChild(role);
    acts.appendChild(el('button', { type: 'button', class: 'act-role', text: t('users.set_role'), onclick: function () { change(u, 'role', { role: role.value }, 'done_role'); } }));
    var pw = el('input', { type: 'password', autocomplete: 'new-password', class: 'act-pw', 'aria-label': t('users.new_password', { name: u.name }) });
    acts.appendChild(pw);
    acts.appendChild(el('button', { type: 'button', class: 'act-reset', text: t('users.reset'), onclick: function () { change(u, 'password', { password: pw.value }, 'done_reset'); } }));
    return el('tr', { 'data-user': u.name, class: u.disabled ? 'closed' : '' }, [el('td', { text: u.name }),
      el('td', { text: t('role.' + u.role) }), el('td', { class: 'user-state', text: state }), el('td', {}, [acts])]);
  }
  function draw(list) { clear(body); list.forEach(function (u) { body.appendChild(row(u)); }); }

  C.addView('users', { right: 'users', load: function () { C.get('users').then(draw).catch(refused); } });
})();
