// Prepended to the node build (scripts/build-wasm, --pre-js): the .wasm
// beside this script is read from disk and given to the runtime, so that
// emscripten 3.1.6 does not try node's fetch() on a file path (node 18+).
Module['wasmBinary'] = require('fs').readFileSync(
	require('path').join(__dirname, 'starttls-inspect.wasm'));
