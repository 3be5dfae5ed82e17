// paradero's router on the phone: a Web Worker running the planner compiled to WebAssembly
// (crates/phone) over the feed's offline bundle. The page posts {type:'load', bytes} once and
// {type:'ask', id, path, now} per question; answers are the HTTP API's JSON, without live data.
'use strict';
var wasm = null, mem = null, loading = null;
function instance() {
  if (!loading) {
    loading = fetch(self.location.href.replace(/offline\.js.*$/, 'phone.wasm') + (self.location.search || ''))
      .then(function (r) {
        if (!r.ok) throw new Error('phone.wasm ' + r.status);
        return r.arrayBuffer();
      })
      .then(function (b) { return WebAssembly.instantiate(b, {}); })
      .then(function (m) { wasm = m.instance.exports; return wasm; });
  }
  return loading;
}
function put(bytes) {
  var p = wasm.phone_alloc(bytes.length);
  new Uint8Array(wasm.memory.buffer, p, bytes.length).set(bytes);
  return p;
}
function out() {
  var p = wasm.phone_out_ptr(), n = wasm.phone_out_len();
  return JSON.parse(new TextDecoder().decode(new Uint8Array(wasm.memory.buffer, p, n)));
}
self.onmessage = function (e) {
  var m = e.data;
  instance().then(function () {
    if (m.type === 'load') {
      var bytes = new Uint8Array(m.bytes);
      var t0 = performance.now();
      var p = put(bytes);
      var code = wasm.phone_load(p, bytes.length);
      wasm.phone_free(p, bytes.length);
      var body = out();
      body.load_ms = performance.now() - t0;
      self.postMessage({ id: m.id, ok: code === 0, body: body });
    } else if (m.type === 'ask') {
      var q = new TextEncoder().encode(m.path);
      var t1 = performance.now();
      var qp = put(q);
      var status = wasm.phone_answer(qp, q.length, m.now);
      wasm.phone_free(qp, q.length);
      self.postMessage({ id: m.id, ok: true, status: status, body: out(), ms: performance.now() - t1 });
    }
  }).catch(function (err) {
    // A broken bundle or module is an answer, never a dead worker.
    self.postMessage({ id: m.id, ok: false, body: { detail: String(err && err.message || err) } });
  });
};
