// Prepended to the node build (scripts/build-wasm, --pre-js): the .wasm
// beside this script is read from disk and given to the runtime, so that
// emscripten 3.1.6 does not try node's fetch() on a file path (node 18+).
Module['wasmBinary'] = require('fs').readFileSync(
	require('path').join(__dirname, 'starttls-inspect.wasm'));
// emscripten's standard streams are terminals whatever node's are, so
// isatty() would say yes with output redirected to a file and the text
// report would be coloured where the native one is not. A stream that is
// not a terminal in node is made not one here either.
Module['onRuntimeInitialized'] = function () {
	var tty = require('tty');
	[0, 1, 2].forEach(function (fd) {
		var stream = FS.getStream(fd);
		if (stream && !tty.isatty(fd))
			stream.tty = undefined;
	});
};
