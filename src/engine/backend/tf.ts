// The engine's single handle on TensorFlow.js: every engine module imports tf from here, so the backend
// chosen in ./index.ts (tfjs-node, wasm or cpu) is the one they all use.
export * from '@tensorflow/tfjs';
