// Why tfjs-run no longer hands predict() a zero-copy buffer that it detaches afterwards: once any
// ArrayBuffer in an isolate has been detached, V8 invalidates its ArrayBufferDetaching protector
// and every optimised typed-array access from then on carries a detach check. Runs the `loop`
// workload of tools/bench-micro.sh for S seconds, detaches one unrelated 8-byte ArrayBuffer
// (structuredClone with transfer), and runs it again. Prints one JSON line.
//   node tools/bench/micro/detach-cliff.js [seconds per phase, default 1]
'use strict';
const seconds = Number(process.argv[2] || 1);
function work() {
  const a = new Float32Array(4096);
  for (let k = 0; k < 20; k++) for (let i = 0; i < a.length; i++) a[i] = a[i] * 0.5 + i;
  return a[7];
}
function rate() {
  let calls = 0;
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) { work(); calls++; }
  return calls / seconds;
}
rate();  // warm-up
const before = rate();
const ab = new ArrayBuffer(8);
structuredClone(ab, {transfer: [ab]});
if (ab.byteLength !== 0) throw new Error('the buffer was not detached');
const after = rate();
console.log(JSON.stringify({before_calls_per_s: Math.round(before), after_calls_per_s: Math.round(after),
                            ratio: Number((after / before).toFixed(2))}));
