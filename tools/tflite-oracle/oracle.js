// tflite-oracle: runs a .tflite model with TensorFlow Lite's own C library
// (libtensorflowlite_c 2.9, shipped prebuilt inside the npm package
// tfjs-tflite-node) through the koffi FFI, so that mcusim's executors can be
// checked against the real interpreter. No delegate is added, so TFLite runs
// its built-in kernels (on x86-64 the optimized ones that TFLite selects).
//
// Protocol: one JSON request on stdin, one JSON reply on stdout.
//
//   request: {"model": PATH, "all_tensors": BOOL, "runs": [[B64, ...], ...]}
//            one entry per run, one base64 string per model input (raw bytes
//            in the input's element type)
//   reply:   {"version": "2.9.x", "tensors": [INDEX, ...],
//            "runs": [{"outputs": [B64, ...]}, ...]}
//
// With all_tensors, the model's subgraph 0 is patched before loading so that
// every operator output is a graph output (TFLite keeps graph outputs alive;
// experimental_preserve_all_tensors is not part of the 2.9 C API), and
// "tensors" lists the tensor index of each output; otherwise it lists the
// model's own outputs.
'use strict';

const fs = require('fs');
const path = require('path');
const koffi = require('koffi');

function libraryPath() {
  const arch = {x64: 'amd64', arm64: 'arm64'}[process.arch];
  const dir = path.join(path.dirname(require.resolve('tfjs-tflite-node/package.json')), 'cc_deps', `${process.platform}_${arch}`);
  const name = {linux: 'libtensorflowlite_c.so', darwin: 'libtensorflowlite_c.dylib', win32: 'tensorflowlite_c.dll'}[process.platform];
  return path.join(dir, name);
}

const lib = koffi.load(libraryPath());
const api = {
  version: lib.func('const char* TfLiteVersion()'),
  modelCreate: lib.func('void* TfLiteModelCreate(const uint8_t* data, size_t size)'),
  modelDelete: lib.func('void TfLiteModelDelete(void* model)'),
  optionsCreate: lib.func('void* TfLiteInterpreterOptionsCreate()'),
  optionsDelete: lib.func('void TfLiteInterpreterOptionsDelete(void* options)'),
  setThreads: lib.func('void TfLiteInterpreterOptionsSetNumThreads(void* options, int32_t n)'),
  create: lib.func('void* TfLiteInterpreterCreate(void* model, void* options)'),
  destroy: lib.func('void TfLiteInterpreterDelete(void* interp)'),
  allocate: lib.func('int TfLiteInterpreterAllocateTensors(void* interp)'),
  invoke: lib.func('int TfLiteInterpreterInvoke(void* interp)'),
  inputCount: lib.func('int32_t TfLiteInterpreterGetInputTensorCount(void* interp)'),
  input: lib.func('void* TfLiteInterpreterGetInputTensor(void* interp, int32_t i)'),
  outputCount: lib.func('int32_t TfLiteInterpreterGetOutputTensorCount(void* interp)'),
  output: lib.func('void* TfLiteInterpreterGetOutputTensor(void* interp, int32_t i)'),
  byteSize: lib.func('size_t TfLiteTensorByteSize(void* t)'),
  copyFrom: lib.func('int TfLiteTensorCopyFromBuffer(void* t, const uint8_t* data, size_t size)'),
  copyTo: lib.func('int TfLiteTensorCopyToBuffer(void* t, _Out_ uint8_t* data, size_t size)'),
};

// A minimal flatbuffer walk of TFLite's schema (schema.fbs, version 3): the
// root Model table, field 2 (subgraphs), subgraph 0, its fields 2 (outputs) and
// 3 (operators), and each Operator's field 2 (outputs).
function field(b, table, id) {
  const vt = table - b.readInt32LE(table);
  const vtSize = b.readUInt16LE(vt);
  if (4 + 2 * id >= vtSize) return 0;
  const off = b.readUInt16LE(vt + 4 + 2 * id);
  return off === 0 ? 0 : table + off;
}
function deref(b, pos) { return pos + b.readUInt32LE(pos); }
function vector(b, table, id) {
  const f = field(b, table, id);
  if (!f) return {pos: 0, n: 0, field: 0};
  const v = deref(b, f);
  return {pos: v + 4, n: b.readUInt32LE(v), field: f};
}

// exposeAll returns the model bytes with every operator output of subgraph 0
// appended to its output list, and the resulting output tensor indices.
function exposeAll(model) {
  const root = deref(model, 0);
  const subgraphs = vector(model, root, 2);
  if (subgraphs.n === 0) throw new Error('model has no subgraph');
  const sg = deref(model, subgraphs.pos);
  const outputs = vector(model, sg, 2);
  if (!outputs.field) throw new Error('subgraph 0 has no output list');
  const list = [];
  for (let i = 0; i < outputs.n; i++) list.push(model.readInt32LE(outputs.pos + 4 * i));
  const ops = vector(model, sg, 3);
  for (let i = 0; i < ops.n; i++) {
    const op = deref(model, ops.pos + 4 * i);
    const outs = vector(model, op, 2);
    for (let k = 0; k < outs.n; k++) {
      const t = model.readInt32LE(outs.pos + 4 * k);
      if (t >= 0 && !list.includes(t)) list.push(t);
    }
  }
  // Append the new vector (4-byte aligned) and point the outputs field at it:
  // flatbuffer offsets point forward, so the end of the file is always legal.
  const start = (model.length + 3) & ~3;
  const out = Buffer.alloc(start + 4 + 4 * list.length);
  model.copy(out);
  out.writeUInt32LE(list.length, start);
  list.forEach((t, i) => out.writeInt32LE(t, start + 4 + 4 * i));
  out.writeUInt32LE(start - outputs.field, outputs.field);
  return {bytes: out, tensors: list};
}

function main() {
  const req = JSON.parse(fs.readFileSync(0, 'utf8'));
  let bytes = fs.readFileSync(req.model);
  let tensors = null;
  if (req.all_tensors) ({bytes, tensors} = exposeAll(bytes));
  const model = api.modelCreate(bytes, bytes.length);
  if (!model) throw new Error(`TfLiteModelCreate failed for ${req.model}`);
  const options = api.optionsCreate();
  api.setThreads(options, 1);
  const interp = api.create(model, options);
  if (!interp) throw new Error(`TfLiteInterpreterCreate failed for ${req.model}`);
  if (api.allocate(interp) !== 0) throw new Error('AllocateTensors failed');
  const nIn = api.inputCount(interp), nOut = api.outputCount(interp);
  const reply = {version: api.version(), tensors: tensors, runs: []};
  for (const run of req.runs) {
    if (run.length !== nIn) throw new Error(`model has ${nIn} inputs, run gives ${run.length}`);
    run.forEach((b64, i) => {
      const data = Buffer.from(b64, 'base64');
      const t = api.input(interp, i);
      if (data.length !== Number(api.byteSize(t))) throw new Error(`input ${i}: ${data.length} bytes, want ${api.byteSize(t)}`);
      if (api.copyFrom(t, data, data.length) !== 0) throw new Error(`input ${i}: copy failed`);
    });
    if (api.invoke(interp) !== 0) throw new Error('Invoke failed');
    const outputs = [];
    for (let i = 0; i < nOut; i++) {
      const t = api.output(interp, i);
      const data = Buffer.alloc(Number(api.byteSize(t)));
      if (api.copyTo(t, data, data.length) !== 0) throw new Error(`output ${i}: copy failed`);
      outputs.push(data.toString('base64'));
    }
    reply.runs.push({outputs});
  }
  api.destroy(interp);
  api.optionsDelete(options);
  api.modelDelete(model);
  process.stdout.write(JSON.stringify(reply));
}

main();
