// paradero: answer a survey from the web (the profile, women's safety and accessibility surveys
// of Arequipa Bus, and whatever officials publish). Plain script, no build step. The questions
// come from /v1/surveys in the rider's language; skip conditions hide and clear questions as
// answers change; the server checks everything again and stores nothing unless all is valid.
(function () {
  'use strict';
  var S = JSON.parse(document.getElementById('strings').textContent);
  var LANG = document.documentElement.lang || 'es';
  function t(key, args) {
    var s = S[key] || key;
    Object.keys(args || {}).forEach(function (k) { s = s.split('{' + k + '}').join(String(args[k])); });
    return s;
  }
  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function say(box, text, isError) {
    box.textContent = text || '';
    box.className = isError ? 'error' : '';
  }
  function call(method, path, body) {
    var h = { Accept: 'application/json' };
    if (body) h['Content-Type'] = 'application/json';
    return fetch(path, { method: method, headers: h, body: body ? JSON.stringify(body) : undefined }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) {
        if (!r.ok) { var e = new Error(b.detail || r.statusText); e.status = r.status; throw e; }
        return b;
      });
    });
  }
  function failed(box) {
    return function (err) {
      say(box, err && err.status ? err.message : t('web.network_error'), true);
      document.body.dataset.state = 'error';
    };
  }

  var survey = null;

  // The answers as the API takes them: option codes (a list for multiple choice), or text.
  function answers() {
    var out = {};
    survey.questions.forEach(function (q) {
      var box = $('q-' + q.code);
      if (!box || box.hidden) return;
      if (q.kind === 'text') {
        var v = box.querySelector('textarea').value.trim();
        if (v) out[q.code] = v;
        return;
      }
      var picked = Array.prototype.filter.call(box.querySelectorAll('input'), function (i) { return i.checked; })
        .map(function (i) { return i.value; });
      if (!picked.length) return;
      out[q.code] = q.kind === 'multi' ? picked : picked[0];
    });
    return out;
  }

  // Shows the questions whose condition holds; a hidden question loses its answer.
  function applyConditions() {
    var given = answers();
    survey.questions.forEach(function (q) {
      if (!q.show_if) return;
      var box = $('q-' + q.code);
      var a = given[q.show_if.question];
      var list = Array.isArray(a) ? a : (a ? [a] : []);
      var shown = list.some(function (x) { return q.show_if.any_of.indexOf(x) >= 0; });
      box.hidden = !shown;
      if (!shown) {
        Array.prototype.forEach.call(box.querySelectorAll('input'), function (i) { i.checked = false; });
      }
    });
  }

  function question(q, n) {
    var box = el('fieldset', null, 'question');
    box.id = 'q-' + q.code;
    box.appendChild(el('legend', n + '. ' + q.text + (q.required ? ' *' : '')));
    if (q.kind === 'text') {
      var ta = document.createElement('textarea');
      ta.name = q.code;
      ta.rows = 3;
      ta.maxLength = q.max_chars || 500;
      ta.setAttribute('aria-label', q.text);
      box.appendChild(ta);
      box.appendChild(el('p', t('web.survey.text_hint', { max: q.max_chars }), 'hint'));
      return box;
    }
    if (q.kind === 'multi') box.appendChild(el('p', t('web.survey.multi_hint'), 'hint'));
    var options = q.kind === 'scale' ? q.options.slice().reverse() : q.options;
    options.forEach(function (o) {
      var label = el('label', null, 'choice');
      var input = document.createElement('input');
      input.type = q.kind === 'multi' ? 'checkbox' : 'radio';
      input.name = q.code;
      input.value = o.code;
      input.addEventListener('change', function () {
        // "None of these" goes alone.
        if (q.kind === 'multi' && input.checked) {
          Array.prototype.forEach.call(box.querySelectorAll('input'), function (other) {
            var otherExclusive = q.options.some(function (x) { return x.code === other.value && x.exclusive; });
            if (other !== input && (o.exclusive || otherExclusive)) other.checked = false;
          });
        }
        applyConditions();
      });
      label.appendChild(input);
      label.appendChild(document.createTextNode(' ' + o.label));
      box.appendChild(label);
    });
    return box;
  }

  function open(code) {
    call('GET', '/v1/surveys/' + encodeURIComponent(code) + '?lang=' + LANG).then(function (s) {
      survey = s;
      $('pick').hidden = true;
      $('answer').hidden = false;
      $('survey-title').textContent = s.title;
      $('survey-intro').textContent = s.intro;
      var form = $('survey-form');
      form.textContent = '';
      s.questions.forEach(function (q, i) { form.appendChild(question(q, i + 1)); });
      var row = el('div', null, 'row');
      var send = el('button', t('web.survey.send'));
      send.type = 'submit';
      send.id = 'survey-send';
      row.appendChild(send);
      form.appendChild(row);
      applyConditions();
      document.body.dataset.state = 'answering';
      $('survey-title').focus && $('survey-title').scrollIntoView();
    }).catch(failed($('pick-status')));
  }

  $('survey-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var box = $('survey-status');
    var send = $('survey-send');
    send.disabled = true;
    say(box, t('web.survey.sending'));
    call('POST', '/v1/surveys/' + encodeURIComponent(survey.code) + '/responses?lang=' + LANG, {
      version: survey.version,
      answers: answers(),
      channel: 'web'
    }).then(function (r) {
      say(box, '');
      $('survey-form').hidden = true;
      $('survey-outro').textContent = r.outro;
      $('survey-done').hidden = false;
      document.body.dataset.state = 'answered';
    }).catch(function (err) {
      send.disabled = false;
      failed(box)(err);
    });
  });

  call('GET', '/v1/surveys?lang=' + LANG).then(function (r) {
    var list = $('surveys');
    if (!r.surveys.length) say($('pick-status'), t('web.survey.none'));
    r.surveys.forEach(function (s) {
      var li = el('li');
      var b = el('button', s.title, 'secondary');
      b.type = 'button';
      b.dataset.code = s.code;
      b.addEventListener('click', function () { open(s.code); });
      li.appendChild(b);
      li.appendChild(el('p', t('web.survey.questions', { n: s.questions.length }), 'hint'));
      list.appendChild(li);
    });
    document.body.dataset.state = 'ready';
    var wanted = new URLSearchParams(location.search).get('encuesta');
    if (wanted) open(wanted);
  }).catch(failed($('pick-status')));
})();
