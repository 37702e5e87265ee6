// The page's Web Worker: runs the WebAssembly build of starttls-inspect on a
// dropped file. Every verdict is the C program's; this only passes arguments
// and carries files back. The emscripten factory (createStarttlsInspect) is
// put in front of this file by web/build-page.py.
//
// The capture is mounted read-only with WORKERFS, so it is read from the
// File in slices when the program reads (1 MiB at a time: the offline
// reader's stdio buffer), never copied whole into memory. Outputs are
// written to in-memory files (MEMFS), not through the terminal, whose cost
// is per byte.
'use strict';

let compiled = null;

function decodeBase64(text) {
	const bin = atob(text);
	const bytes = new Uint8Array(bin.length);
	for (let i = 0; i < bin.length; i++)
		bytes[i] = bin.charCodeAt(i);
	return bytes;
}

// One run of main() in a fresh instance (the program's state is not meant
// to be reused after exit). Returns its exit status, the lines it wrote to
// standard error and the files asked for (null for a file not written).
async function runOnce(file, args, outputs) {
	const errors = [];
	const mod = await createStarttlsInspect({
		noInitialRun: true,
		instantiateWasm(imports, done) {
			WebAssembly.instantiate(compiled, imports).then((inst) => done(inst));
			return {};
		},
		print: (line) => errors.push(line),
		printErr: (line) => errors.push(line),
	});
	mod.FS.mkdir('/in');
	mod.FS.mount(mod.WORKERFS, { files: [file] }, '/in');
	mod.FS.mkdir('/out');
	mod.FS.chdir('/in'); // the file is named as the user knows it
	let status;
	try {
		status = mod.callMain(args.concat([file.name]));
	} catch (e) {
		if (e && e.name === 'ExitStatus')
			status = e.status;
		else
			throw e;
	}
	const files = {};
	for (const name of outputs) {
		try {
			files[name] = mod.FS.readFile('/out/' + name);
		} catch (e) {
			files[name] = null;
		}
	}
	return { status, errors, files };
}

// One run gives every view: the JSON lines (the table), the ticket, the
// redacted evidence and the text report (--text-report), so the capture is
// read once.
async function analyse(file, options) {
	const started = performance.now();
	const run = await runOnce(file, options.concat([
		'--json', '--output', '/out/sessions.json',
		'--report', '/out/report.md', '-w', '/out/evidence.pcap',
		'--text-report', '/out/report.txt',
	]), ['sessions.json', 'report.md', 'evidence.pcap', 'report.txt']);
	return {
		status: run.status,
		errors: run.errors,
		files: run.files,
		bytes: file.size,
		ms: performance.now() - started,
	};
}

self.onmessage = async (event) => {
	const msg = event.data;
	try {
		if (msg.type === 'init') {
			compiled = await WebAssembly.compile(decodeBase64(msg.wasm));
			self.postMessage({ type: 'ready' });
		} else if (msg.type === 'analyse') {
			const result = await analyse(msg.file, msg.options);
			const transfer = Object.values(result.files).filter((f) => f).map((f) => f.buffer);
			self.postMessage(Object.assign({ type: 'done' }, result), transfer);
		}
	} catch (e) {
		self.postMessage({ type: 'error', message: String(e && e.message ? e.message : e) });
	}
};
