#!/usr/bin/python3
"""Run a .tflite model with Arm NN's TfLite parser on the CpuRef backend.

This is the independent oracle for engine.Reference (see ../armnn_test.go). It
needs Debian's python3-pyarmnn (Arm NN 20.08) and is run by /usr/bin/python3.

Usage:
    armnn_run.py [--output TENSOR]... MODEL.tflite IN.bin OUT.bin [IN.bin OUT.bin ...]

Each IN.bin holds the raw bytes of every subgraph-0 input, concatenated in the
model's input order, each in the tensor's own dtype (little-endian, row-major).
The matching OUT.bin receives the raw bytes of every model output in the same
layout. Several IN/OUT pairs reuse the loaded networks.

--output TENSOR (repeatable) reads intermediate tensors instead: for each name a
copy of the model whose subgraph output is that tensor is run (Arm NN can only
bind subgraph outputs), and OUT.bin receives the named tensors' bytes in the
order given. A fused activation is part of its operator's output tensor.

On success one JSON line on stdout describes the input and output bindings
(name, dtype, shape, quantization scale and zero point).

All networks share one IRuntime: in pyarmnn 20.08 a second IRuntime in the
same process can fail with "CpuRef has no IBackend factory registered".
"""
import json
import logging
import os
import struct
import sys
import tempfile

# pyarmnn logs a warning for each parser (Caffe, ONNX, TF) missing from Debian's
# build; they are noise here.
logging.getLogger("pyarmnn").setLevel(logging.ERROR)

import numpy as np  # noqa: E402
import pyarmnn as ann  # noqa: E402


def with_output(model: bytes, name: str) -> bytes:
    """Returns a copy of a .tflite flatbuffer whose first subgraph-0 output is
    the tensor called name (Model.subgraphs is field 2; SubGraph.tensors 0,
    outputs 2; Tensor.name 3 in schema.fbs)."""
    b = bytearray(model)

    def u32(p):
        return struct.unpack_from("<I", b, p)[0]

    def field(table, i):  # absolute position of field i, or None when absent
        vt = table - struct.unpack_from("<i", b, table)[0]
        if 4 + 2 * i >= struct.unpack_from("<H", b, vt)[0]:
            return None
        off = struct.unpack_from("<H", b, vt + 4 + 2 * i)[0]
        return table + off if off else None

    def deref(p):
        return p + u32(p)

    def vector(table, i):  # (position of element 0, length)
        p = deref(field(table, i))
        return p + 4, u32(p)

    subgraphs, _ = vector(deref(0), 2)
    sg = deref(subgraphs)
    tensors, count = vector(sg, 0)
    for j in range(count):
        s = deref(field(deref(tensors + 4 * j), 3))
        if b[s + 4:s + 4 + u32(s)].decode() == name:
            outputs, n = vector(sg, 2)
            if n < 1:
                break
            struct.pack_into("<i", b, outputs, j)
            return bytes(b)
    sys.exit(f"no tensor named {name!r} in subgraph 0")


def describe(name, info, array):
    """JSON-ready description of one binding (array gives the numpy dtype)."""
    shape = info.GetShape()
    return {
        "name": name,
        "dtype": str(array.dtype),
        "shape": [shape[i] for i in range(shape.GetNumDimensions())],
        "scale": info.GetQuantizationScale(),
        "zero_point": info.GetQuantizationOffset(),
    }


def load(runtime, path):
    """Parses and loads one network; returns its id, input and output bindings."""
    parser = ann.ITfLiteParser()
    network = parser.CreateNetworkFromBinaryFile(path)
    ins = [(n, parser.GetNetworkInputBindingInfo(0, n)) for n in parser.GetSubgraphInputTensorNames(0)]
    outs = [(n, parser.GetNetworkOutputBindingInfo(0, n)) for n in parser.GetSubgraphOutputTensorNames(0)]
    optimized, messages = ann.Optimize(network, [ann.BackendId("CpuRef")],
                                       runtime.GetDeviceSpec(), ann.OptimizerOptions())
    for m in messages:
        print("armnn:", m, file=sys.stderr)
    net_id, _ = runtime.LoadNetwork(optimized)
    return net_id, ins, outs


def main(argv):
    names = []
    while len(argv) > 1 and argv[0] == "--output":
        names.append(argv[1])
        argv = argv[2:]
    if len(argv) < 3 or len(argv) % 2 != 1:
        sys.exit(__doc__)
    model, pairs = argv[0], list(zip(argv[1::2], argv[2::2]))

    runtime = ann.IRuntime(ann.CreationOptions())
    if names:
        with open(model, "rb") as f:
            data = f.read()
        networks = []
        for name in names:
            with tempfile.NamedTemporaryFile(suffix=".tflite") as tmp:
                tmp.write(with_output(data, name))
                tmp.flush()
                net_id, ins, outs = load(runtime, tmp.name)
            networks.append((net_id, ins, outs[:1]))
    else:
        networks = [load(runtime, model)]

    # ann.Tensor(info) allocates an array of the binding's numpy dtype.
    in_bind = networks[0][1]
    templates = [ann.Tensor(b[1]).get_memory_area() for _, b in in_bind]
    want = sum(t.nbytes for t in templates)
    described = []
    for in_path, out_path in pairs:
        with open(in_path, "rb") as f:
            raw = f.read()
        if len(raw) != want:
            sys.exit(f"{in_path}: {len(raw)} bytes, the model inputs need {want}")
        data, off = [], 0
        for t in templates:
            data.append(np.frombuffer(raw, dtype=t.dtype, count=t.size, offset=off).copy())
            off += t.nbytes
        described = []
        with open(out_path, "wb") as f:
            for net_id, ins, outs in networks:
                tensors = ann.make_output_tensors([b for _, b in outs])
                runtime.EnqueueWorkload(net_id, ann.make_input_tensors([b for _, b in ins], data), tensors)
                for (name, b), a in zip(outs, ann.workload_tensors_to_ndarray(tensors)):
                    f.write(a.astype(a.dtype.newbyteorder("<")).tobytes())
                    described.append(describe(name, b[1], a))

    print(json.dumps({
        "backend": "CpuRef",
        "inputs": [describe(n, b[1], t) for (n, b), t in zip(in_bind, templates)],
        "outputs": described,
    }))


if __name__ == "__main__":
    main(sys.argv[1:])
