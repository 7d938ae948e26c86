// Hand-written JavaScript decoders for the same layouts the gateway's binary parser benchmarks use, written the way
// ChirpStack and The Things Stack users write payload codecs (DataView, a plain object, JSON.stringify).
// Usage: node decoders.js SECONDS   → one line per layout: name, payloads/s.
'use strict';

function decodeT1(bytes) {
  // flag:0:bool:7 temp:1:int:13:/10 humid:3:uint:8:/100 lat::float:32 long::float:32
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let temp = ((bytes[1] << 8) | bytes[2]) >>> 3;
  if (temp & 0x1000) temp -= 0x2000;
  return {
    flag: (bytes[0] & 0x80) !== 0,
    temp: temp / 10,
    humid: bytes[3] / 100,
    lat: view.getFloat32(4, false),
    long: view.getFloat32(8, false),
    binaryParserEnabled: true,
  };
}

function decodeT6(bytes) {
  // frameType:0:uint:1:big-endian:7 batLow:0:bool:6 boot:0:bool:5 coSensor:0:bool:4 temp:0:int:12:big-endian:3 hygro:2:uint:8 co:3:uint:8
  let temp = ((bytes[0] << 8) | bytes[1]) & 0xfff;
  if (temp & 0x800) temp -= 0x1000;
  return {
    frameType: bytes[0] >>> 7,
    batLow: (bytes[0] & 0x40) !== 0,
    boot: (bytes[0] & 0x20) !== 0,
    coSensor: (bytes[0] & 0x10) !== 0,
    temp,
    hygro: bytes[2],
    co: bytes[3],
    binaryParserEnabled: true,
  };
}

function decodeButton(bytes) {
  const names = { 1: 'SINGLE', 2: 'DOUBLE', 3: 'LONG' };
  return { clickType: bytes[1], clickTypeName: names[bytes[1]] ?? null, batteryLevel: (bytes[2] + 1) / 4, binaryParserEnabled: true };
}

const layouts = [
  ['T1', decodeT1, Buffer.from('8007F85F420EADFF430BBE86', 'hex')],
  ['T6', decodeT6, Buffer.from('8FFF3210', 'hex')],
  ['@button', decodeButton, Buffer.from('4d010351', 'hex')],
];

const seconds = Number(process.argv[2] ?? 3);
for (const [name, decode, payload] of layouts) {
  // The output is the JSON text, as the gateway produces.
  const check = JSON.stringify(decode(payload));
  for (let i = 0; i < 200000; i++) JSON.stringify(decode(payload)); // warm-up (JIT)
  let n = 0;
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  let sink = 0;
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 1000; i++) sink += JSON.stringify(decode(payload)).length;
    n += 1000;
  }
  console.log(`${name}\t${Math.round(n / seconds)}\t${check}\t${sink > 0}`);
}
