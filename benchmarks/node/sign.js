// SORACOM's HTTP identity signature in Node, for benchmarks/harness/signing.sh: per call, the string to sign
// (pre-shared key, then each x-soracom-* header as name=value, then the timestamp header) is built, hashed with
// SHA-256 (Node's OpenSSL binding) and hex-encoded, as a Node relay would do per request. One core, SECONDS long.
// Prints "node_per_s=N ns_per_sig=X" and checks the result against the gateway's test vector first.
const crypto = require('crypto');
const seconds = Number(process.argv[2] || 3);
const psk = 'mysecretkey';
const identity = { imei: '860000012345678', imsi: '295000012345678' };
function sign(id, timestamp) {
  const text = psk + 'x-soracom-imei=' + id.imei + 'x-soracom-imsi=' + id.imsi + 'x-soracom-timestamp=' + timestamp;
  return crypto.createHash('sha256').update(text).digest('hex');
}
const expected = crypto.createHash('sha256')
  .update('mysecretkeyx-soracom-imei=860000012345678x-soracom-imsi=295000012345678x-soracom-timestamp=1445587157992').digest('hex');
if (sign(identity, 1445587157992) !== expected) throw new Error('signature differs from the vector');
let n = 0, sink = 0;
const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
const start = process.hrtime.bigint();
while (process.hrtime.bigint() < end) {
  for (let i = 0; i < 1000; i++) sink += sign(identity, 1445587157992 + i).length;
  n += 1000;
}
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`node_per_s=${Math.round(n / elapsed)} ns_per_sig=${(elapsed * 1e9 / n).toFixed(0)} check=${sink > 0}`);
