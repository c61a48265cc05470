/* The demo page's town facts: what to bring and the town's phone lines, from
 * the same /api/v1/config the widget reads, so the page and the widget never
 * disagree (a town's own town.json changes both). */
(function () {
  'use strict';
  function el(tag, text) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    return e;
  }
  fetch('/api/v1/config?lang=ja').then(function (r) {
    if (!r.ok) throw new Error(r.status);
    return r.json();
  }).then(function (c) {
    var bring = document.getElementById('demo-bring');
    (c.bring || []).forEach(function (item) { bring.appendChild(el('li', item)); });
    if (!bring.children.length) bring.appendChild(el('li', bring.getAttribute('data-empty')));
    var lines = document.getElementById('demo-lines');
    ['call_center', 'nurse'].forEach(function (key) {
      var l = c.lines && c.lines[key];
      if (!l || !l.phone) return;
      var p = el('p', l.label);
      p.appendChild(el('br'));
      p.appendChild(document.createTextNode('電話 '));
      var a = el('a', l.phone);
      a.href = 'tel:' + l.phone.replace(/[^0-9+]/g, '');
      p.appendChild(a);
      p.appendChild(document.createTextNode('（' + (l.phone_hours || l.hours) + '）'));
      lines.appendChild(p);
    });
  }).catch(function () {
    document.getElementById('demo-bring').appendChild(el('li', document.getElementById('demo-bring').getAttribute('data-empty')));
  });
})();
