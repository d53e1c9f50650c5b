// Package wasm encodes WebAssembly modules in the binary format, so that codegen can compile
// int8 kernels to code that sim runs under wazero.
//
// It is a deliberately small encoder of our own rather than a dependency: the kernel generator
// needs a few dozen integer and memory instructions, deterministic bytes, and a name section so
// that a trap names the operator that caused it.
//
// A [Module] collects types, imports, one memory, globals, functions, exports and active data
// segments; a [Code] emits one function body. [Module.Encode] checks structure and indices and
// produces the bytes. References are to the WebAssembly Core Specification 2.0
// (https://www.w3.org/TR/wasm-core-2/), chapter 5 "Binary Format" and appendix §7.4.1 "Name
// Section".
//
// What Encode checks: balanced blocks, branch label depths, alignment exponents, local, global,
// function, type and memory indices, export names, data segments that fit the declared memory.
// What it does not check: operand types on the value stack (§3.3). The runtime validates
// every module before it runs it (wazero at compile time, wasm-validate in our tests), so a type
// error still fails early, with the runtime's message.
//
// Supported features: MVP, plus bulk memory (memory.copy, memory.fill), sign-extension
// operators and mutable exported globals, all within wazero's default api.CoreFeaturesV2.
// memory.init and data.drop are not offered, so no data count section (§5.5.15) is needed.
package wasm
