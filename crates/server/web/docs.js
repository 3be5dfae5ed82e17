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
  function slug(method, path) { return (method + path).replace(/[^a-zA-Z0-9]+/g, '-').replace(/-$/, ''); }
  fetch('/openapi.json').then(function (r) { return r.json(); }).then(function (doc) {
    var root = document.getElementById('endpoints');
    // An index first: the endpoints by tag, each a link to its section.
    var byTag = {};
    var tags = (doc.tags || []).map(function (t) { return t.name; });
    Object.keys(doc.paths).forEach(function (path) {
      Object.keys(doc.paths[path]).forEach(function (method) {
        var op = doc.paths[path][method], tag = (op.tags && op.tags[0]) || '';
        if (tags.indexOf(tag) < 0) tags.push(tag);
        (byTag[tag] = byTag[tag] || []).push({ path: path, method: method, op: op });
      });
    });
    var index = el('nav'); index.id = 'index'; index.setAttribute('aria-label', S['web.docs_index']);
    index.appendChild(el('h2', S['web.docs_index']));
    tags.filter(function (tag) { return byTag[tag]; }).forEach(function (tag) {
      index.appendChild(el('h3', tag));
      var ul = el('ul');
      byTag[tag].forEach(function (e) {
        var li = el('li'), a = el('a', e.method.toUpperCase() + ' ' + e.path);
        a.href = '#' + slug(e.method, e.path);
        li.appendChild(a);
        if (e.op.summary) li.appendChild(document.createTextNode(' — ' + e.op.summary));
        ul.appendChild(li);
      });
      index.appendChild(ul);
    });
    root.appendChild(index);
    tags.filter(function (tag) { return byTag[tag]; }).forEach(function (tag) {
      byTag[tag].forEach(function (e) {
        var op = e.op, method = e.method, path = e.path;
        var sec = el('section');
        sec.className = 'endpoint';
        sec.id = slug(method, path);
        sec.appendChild(el('h2', method.toUpperCase() + ' ' + path));
        if (op.summary) sec.appendChild(el('p', op.summary));
        if (op.description) sec.appendChild(el('p', op.description, 'meta'));
        if (op.parameters && op.parameters.length) {
          sec.appendChild(el('h3', S['web.docs_params']));
          sec.appendChild(table([S['web.docs_col_name'], S['web.docs_col_in'], S['web.docs_col_required'], S['web.docs_col_description']], op.parameters.map(function (p) {
            return [p.name, p['in'], p.required ? S['web.docs_required'] : S['web.docs_optional'], p.description || ''];
          })));
        }
        sec.appendChild(el('h3', S['web.docs_responses']));
        sec.appendChild(table([S['web.docs_col_status'], S['web.docs_col_description']], Object.keys(op.responses || {}).map(function (code) {
          return [code, op.responses[code].description || ''];
        })));
        root.appendChild(sec);
      });
    });
    document.body.dataset.state = 'ready';
  });
})();
