// Renders /openapi.json as a readable page: one section per endpoint, its parameters and
// responses. No library: the document is small and the page must work offline.
(function () {
  'use strict';
  var S = JSON.parse(document.getElementById('strings').textContent);
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function table(headers, rows) {
    var tb = el('table'), tr = el('tr');
    headers.forEach(function (h) { tr.appendChild(el('th', h)); });
    tb.appendChild(tr);
    rows.forEach(function (r) {
      var row = el('tr');
      r.forEach(function (c) { row.appendChild(el('td', c)); });
      tb.appendChild(row);
    });
    return tb;
  }
  fetch('/openapi.json').then(function (r) { return r.json(); }).then(function (doc) {
    var root = document.getElementById('endpoints');
    Object.keys(doc.paths).forEach(function (path) {
      var item = doc.paths[path];
      Object.keys(item).forEach(function (method) {
        var op = item[method];
        var sec = el('section');
        sec.className = 'endpoint';
        sec.appendChild(el('h2', method.toUpperCase() + ' ' + path));
        if (op.summary) sec.appendChild(el('p', op.summary));
        if (op.description) sec.appendChild(el('p', op.description, 'meta'));
        if (op.parameters && op.parameters.length) {
          sec.appendChild(el('h3', S['web.docs_params']));
          sec.appendChild(table(['name', 'in', '', 'description'], op.parameters.map(function (p) {
            return [p.name, p['in'], p.required ? S['web.docs_required'] : '', p.description || ''];
          })));
        }
        sec.appendChild(el('h3', S['web.docs_responses']));
        sec.appendChild(table(['status', 'description'], Object.keys(op.responses || {}).map(function (code) {
          return [code, op.responses[code].description || ''];
        })));
        root.appendChild(sec);
      });
    });
    document.body.dataset.state = 'ready';
  });
})();
