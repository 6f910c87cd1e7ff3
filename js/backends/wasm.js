// Backend module: tfjs's wasm backend, with its binaries inlined as data: URLs (the SIMD one
// and the plain one; tfjs-run's isolates have no worker threads, so not the threaded one).
import '@tensorflow/tfjs-backend-cpu';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import {wasmBinaries} from 'tfjs-run-wasm-binaries';

export const name = 'wasm';

export async function setup(tf) {
  // Threads need Workers and SharedArrayBuffer across them, which an embedded isolate lacks.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setWasmPaths(wasmBinaries, /* usePlatformFetch= */ true);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
  await tf.ready();
}
