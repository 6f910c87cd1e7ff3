// Backend module: tfjs's pure-JS cpu backend.
import '@tensorflow/tfjs-backend-cpu';

export const name = 'cpu';

export async function setup(tf) {
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
  await tf.ready();
}
