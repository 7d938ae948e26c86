// Node-RED settings for benchmarks/harness/udp-to-http.sh. NODE_RED_DIR, NODE_RED_PORT come from the script.
// The stock "udp in" node binds every interface and the "udp out" node's socket is bound implicitly; the benchmark
// stays on loopback, so every UDP socket of this process is bound to 127.0.0.1 here (the nodes are not changed).
const dgram = require('dgram');
const bind = dgram.Socket.prototype.bind;
dgram.Socket.prototype.bind = function (port, address, callback) {
  if (port !== null && typeof port === 'object') {
    return bind.call(this, { ...port, address: port.address || '127.0.0.1' }, address);
  }
  if (typeof address === 'function' || address === undefined || address === null) {
    return bind.call(this, port, '127.0.0.1', address || callback);
  }
  return bind.apply(this, arguments);
};

module.exports = {
  userDir: process.env.NODE_RED_DIR,
  flowFile: 'flows.json',
  uiHost: '127.0.0.1',
  uiPort: Number(process.env.NODE_RED_PORT),
  logging: { console: { level: 'warn', metrics: false, audit: false } },
  telemetry: { enabled: false },
  diagnostics: { enabled: false },
  editorTheme: { tours: false },
};
