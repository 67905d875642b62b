// ONNX models of the kind PyTorch / tf2onnx export for a CNN, built with onnx-proto (no binary blobs committed).
import { writeFileSync } from 'node:fs';
import { encodeModel, floatTensor, int64Tensor, intAttr, intsAttr, floatAttr, DT } from '../../../src/engine/formats/onnx';
import { makeRng } from '../../../src/engine/core/random';

const rng = makeRng(3);
const rand = (n: number, s = 0.3) => Float32Array.from({ length: n }, () => (rng() * 2 - 1) * s);
const pos = (n: number) => Float32Array.from({ length: n }, () => 0.5 + rng());

/**
 * PyTorch-style residual CNN, NCHW input [N,1,8,8], opset 13: Conv+BN+Relu, Conv+BN, Add, Relu, MaxPool,
 * AveragePool, GlobalAveragePool, Flatten, Gemm(transB), Softmax.
 */
export function torchStyleCnn(opset = 13): Uint8Array {
  const C = 4;
  const bn = (p: string) => [floatTensor(`${p}.weight`, [C], pos(C)), floatTensor(`${p}.bias`, [C], rand(C)), floatTensor(`${p}.running_mean`, [C], rand(C, 0.1)), floatTensor(`${p}.running_var`, [C], pos(C))];
  return encodeModel({
    irVersion: 7,
    producerName: 'pytorch',
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'torch_jit',
      input: [{ name: 'input.1', type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 1 }, { dimValue: 8 }, { dimValue: 8 }] } } } }],
      output: [{ name: 'probs', type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 3 }] } } } }],
      initializer: [
        floatTensor('conv1.weight', [C, 1, 3, 3], rand(C * 9)),
        floatTensor('conv1.bias', [C], rand(C)),
        ...bn('bn1'),
        floatTensor('conv2.weight', [C, C, 3, 3], rand(C * C * 9)),
        ...bn('bn2'),
        floatTensor('conv3.weight', [C, 1, 3, 3], rand(C * 9)),
        floatTensor('fc.weight', [3, C], rand(3 * C)),
        floatTensor('fc.bias', [3], rand(3)),
      ],
      node: [
        { opType: 'Conv', name: '/conv1/Conv', input: ['input.1', 'conv1.weight', 'conv1.bias'], output: ['c1'], attribute: [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1]), intsAttr('strides', [1, 1])] },
        { opType: 'BatchNormalization', name: '/bn1/BatchNormalization', input: ['c1', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var'], output: ['b1'], attribute: [floatAttr('epsilon', 1e-5)] },
        { opType: 'Relu', name: '/relu1/Relu', input: ['b1'], output: ['r1'] },
        { opType: 'Conv', name: '/conv2/Conv', input: ['r1', 'conv2.weight'], output: ['c2'], attribute: [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1])] },
        { opType: 'BatchNormalization', name: '/bn2/BatchNormalization', input: ['c2', 'bn2.weight', 'bn2.bias', 'bn2.running_mean', 'bn2.running_var'], output: ['b2'] },
        { opType: 'Add', name: '/Add', input: ['b2', 'r1'], output: ['a'] },
        { opType: 'Relu', name: '/relu2/Relu', input: ['a'], output: ['r2'] },
        { opType: 'MaxPool', name: '/pool/MaxPool', input: ['r2'], output: ['p'], attribute: [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2])] },
        // depthwise, stride 2 with symmetric padding: needs explicit zero padding in tfjs
        { opType: 'Conv', name: '/dw/Conv', input: ['p', 'conv3.weight'], output: ['d'], attribute: [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1]), intsAttr('strides', [2, 2]), intAttr('group', C)] },
        { opType: 'AveragePool', name: '/avg/AveragePool', input: ['d'], output: ['ap'], attribute: [intsAttr('kernel_shape', [1, 1]), intsAttr('strides', [1, 1])] },
        { opType: 'GlobalAveragePool', name: '/gap/GlobalAveragePool', input: ['ap'], output: ['g'] },
        { opType: 'Flatten', name: '/Flatten', input: ['g'], output: ['f'], attribute: [intAttr('axis', 1)] },
        { opType: 'Gemm', name: '/fc/Gemm', input: ['f', 'fc.weight', 'fc.bias'], output: ['logits'], attribute: [intAttr('transB', 1), floatAttr('alpha', 1), floatAttr('beta', 1)] },
        { opType: 'Softmax', name: '/Softmax', input: ['logits'], output: ['probs'], attribute: [intAttr('axis', 1)] },
      ],
    },
  });
}

/** tf2onnx-style MLP head on an NCHW map: Conv, Relu, Reshape(shape const), MatMul + Add(bias), Softmax; opset 17. */
export function tf2onnxStyle(): Uint8Array {
  return encodeModel({
    irVersion: 8,
    producerName: 'tf2onnx',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'tf2onnx',
      input: [{ name: 'x', type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 2 }, { dimValue: 6 }, { dimValue: 6 }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 5 }] } } } }],
      initializer: [floatTensor('W', [3, 2, 3, 3], rand(54)), floatTensor('M', [48, 5], rand(240, 0.2)), floatTensor('bM', [5], rand(5)), int64Tensor('shape', [-1, 48])],
      node: [
        { opType: 'Conv', name: 'conv', input: ['x', 'W'], output: ['c'], attribute: [intsAttr('kernel_shape', [3, 3])] },
        { opType: 'Relu', name: 'relu', input: ['c'], output: ['r'] },
        { opType: 'Reshape', name: 'flatten', input: ['r', 'shape'], output: ['f'] },
        { opType: 'MatMul', name: 'dense', input: ['f', 'M'], output: ['m'] },
        { opType: 'Add', name: 'dense_bias', input: ['m', 'bM'], output: ['z'] },
        { opType: 'Softmax', name: 'softmax', input: ['z'], output: ['y'] },
      ],
    },
  });
}

export function writeFixture(path: string, bytes: Uint8Array): string {
  writeFileSync(path, bytes);
  return path;
}

/**
 * Two outputs, PyTorch-style NCHW input [N,1,6,6], opset 13: a shared Conv+Relu trunk, then a class head
 * (GlobalAveragePool, Flatten, Gemm, Softmax → "probs" [N,3]) and a dense map head (1×1 Conv → "heatmap"
 * [N,2,6,6], NCHW as the file says).
 */
export function twoOutputCnn(): Uint8Array {
  return encodeModel({
    irVersion: 7,
    producerName: 'pytorch',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'two_heads',
      input: [{ name: 'image', type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 1 }, { dimValue: 6 }, { dimValue: 6 }] } } } }],
      output: [
        { name: 'probs', type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 3 }] } } } },
        { name: 'heatmap', type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 2 }, { dimValue: 6 }, { dimValue: 6 }] } } } },
      ],
      initializer: [floatTensor('trunk.weight', [4, 1, 3, 3], rand(36)), floatTensor('trunk.bias', [4], rand(4)), floatTensor('cls.weight', [3, 4], rand(12)), floatTensor('cls.bias', [3], rand(3)), floatTensor('map.weight', [2, 4, 1, 1], rand(8)), floatTensor('map.bias', [2], rand(2))],
      node: [
        { opType: 'Conv', name: '/trunk/Conv', input: ['image', 'trunk.weight', 'trunk.bias'], output: ['t'], attribute: [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1])] },
        { opType: 'Relu', name: '/trunk/Relu', input: ['t'], output: ['tr'] },
        { opType: 'GlobalAveragePool', name: '/cls/gap', input: ['tr'], output: ['g'] },
        { opType: 'Flatten', name: '/cls/Flatten', input: ['g'], output: ['f'], attribute: [intAttr('axis', 1)] },
        { opType: 'Gemm', name: '/cls/Gemm', input: ['f', 'cls.weight', 'cls.bias'], output: ['logits'], attribute: [intAttr('transB', 1)] },
        { opType: 'Softmax', name: '/cls/Softmax', input: ['logits'], output: ['probs'], attribute: [intAttr('axis', 1)] },
        { opType: 'Conv', name: '/map/Conv', input: ['tr', 'map.weight', 'map.bias'], output: ['heatmap'], attribute: [intsAttr('kernel_shape', [1, 1])] },
      ],
    },
  });
}
