#!/usr/bin/env node
// wasm-browser.js - the page in headless Chromium, over the DevTools protocol
// on loopback (tests/e2e/wasm-browser.sh runs it).
//
//   node wasm-browser.js CHROMIUM PAGE.html SCREENSHOT.png FIXTURE.pcap...
//
// For each fixture: open the page from file://, wait for the analyser, set
// the fixture on the file input, wait for the verdict table and compare the
// outcome of every row with the fixture's .expect (sessions by client
// port). Every request the page and its worker make is recorded: anything
// but file:, blob: or data: fails the test. The screenshot is of the last
// fixture's table. Prints "ok ..." / "FAIL ..." lines; exit 0 when all pass.
// The WebSocket client is the minimum CDP needs (RFC 6455, text frames).
'use strict';
const { spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const [chromium, pagePath, screenshot, ...fixtures] = process.argv.slice(2);
const TIMEOUT_MS = 120000;
let failures = 0;

function fail(msg) {
	failures++;
	console.log('FAIL ' + msg);
}

function startChromium(profile) {
	const proc = spawn(chromium, [
		'--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
		'--no-default-browser-check', '--disable-extensions', '--disable-sync',
		'--disable-background-networking', '--disable-component-update',
		'--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0',
		'--user-data-dir=' + profile, '--window-size=1400,900', 'about:blank',
	], { stdio: ['ignore', 'ignore', 'pipe'] });
	return new Promise((resolve, reject) => {
		let seen = '';
		const timer = setTimeout(() => reject(new Error('chromium did not start: ' + seen)), 30000);
		proc.stderr.on('data', (d) => {
			seen += d;
			const m = /DevTools listening on (ws:\/\/[^\s]+)/.exec(seen);
			if (m) {
				clearTimeout(timer);
				resolve({ proc, url: m[1] });
			}
		});
		proc.on('exit', (code) => reject(new Error('chromium exited ' + code + ': ' + seen)));
	});
}

// ---- a WebSocket client: handshake, masked text frames out, frames in ----
function connect(wsUrl) {
	const u = new URL(wsUrl);
	if (u.hostname !== '127.0.0.1')
		throw new Error('DevTools not on loopback: ' + wsUrl);
	return new Promise((resolve, reject) => {
		const sock = net.connect(Number(u.port), '127.0.0.1');
		const key = crypto.randomBytes(16).toString('base64');
		let buf = Buffer.alloc(0);
		let open = false;
		const listeners = [];
		sock.on('connect', () => sock.write(
			'GET ' + u.pathname + ' HTTP/1.1\r\nHost: 127.0.0.1:' + u.port +
			'\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ' + key +
			'\r\nSec-WebSocket-Version: 13\r\n\r\n'));
		sock.on('error', reject);
		sock.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			if (!open) {
				const end = buf.indexOf('\r\n\r\n');
				if (end < 0)
					return;
				if (!/^HTTP\/1\.1 101/.test(buf.slice(0, end).toString()))
					return reject(new Error('no WebSocket upgrade'));
				buf = buf.slice(end + 4);
				open = true;
				resolve({ send, on: (f) => listeners.push(f), close: () => sock.destroy() });
			}
			for (;;) {
				const frame = parseFrame(buf);
				if (!frame)
					break;
				buf = buf.slice(frame.size);
				if (frame.opcode === 1)
					listeners.forEach((f) => f(frame.payload.toString('utf8')));
			}
		});
		function send(text) {
			const payload = Buffer.from(text, 'utf8');
			const mask = crypto.randomBytes(4);
			let head;
			if (payload.length < 126) {
				head = Buffer.from([0x81, 0x80 | payload.length]);
			} else if (payload.length < 65536) {
				head = Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 255]);
			} else {
				head = Buffer.alloc(10);
				head[0] = 0x81;
				head[1] = 0x80 | 127;
				head.writeBigUInt64BE(BigInt(payload.length), 2);
			}
			const masked = Buffer.alloc(payload.length);
			for (let i = 0; i < payload.length; i++)
				masked[i] = payload[i] ^ mask[i & 3];
			sock.write(Buffer.concat([head, mask, masked]));
		}
	});
}

// Server frames are unmasked; continuation frames do not occur for CDP's
// messages in practice, but are joined if they do.
let partial = null;
function parseFrame(buf) {
	if (buf.length < 2)
		return null;
	const fin = (buf[0] & 0x80) !== 0;
	let opcode = buf[0] & 0x0f;
	let len = buf[1] & 0x7f;
	let at = 2;
	if (len === 126) {
		if (buf.length < 4)
			return null;
		len = buf.readUInt16BE(2);
		at = 4;
	} else if (len === 127) {
		if (buf.length < 10)
			return null;
		len = Number(buf.readBigUInt64BE(2));
		at = 10;
	}
	if (buf.length < at + len)
		return null;
	let payload = buf.slice(at, at + len);
	if (opcode === 0 && partial) {
		payload = Buffer.concat([partial.payload, payload]);
		opcode = partial.opcode;
	}
	if (!fin) {
		partial = { opcode, payload };
		return { size: at + len, opcode: -1, payload };
	}
	partial = null;
	return { size: at + len, opcode, payload };
}

// ---- DevTools protocol ----
function cdpClient(ws) {
	let nextId = 1;
	const pending = new Map();
	const handlers = [];
	ws.on((text) => {
		const msg = JSON.parse(text);
		if (msg.id && pending.has(msg.id)) {
			const { resolve, reject } = pending.get(msg.id);
			pending.delete(msg.id);
			if (msg.error)
				reject(new Error(JSON.stringify(msg.error)));
			else
				resolve(msg.result);
		} else if (msg.method) {
			handlers.forEach((h) => h(msg));
		}
	});
	return {
		send(method, params = {}, sessionId) {
			const id = nextId++;
			const msg = { id, method, params };
			if (sessionId)
				msg.sessionId = sessionId;
			ws.send(JSON.stringify(msg));
			return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
		},
		onEvent: (h) => handlers.push(h),
	};
}

function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(cdp, session, expr, what) {
	const until = Date.now() + TIMEOUT_MS;
	for (;;) {
		const r = await cdp.send('Runtime.evaluate', { expression: expr, returnByValue: true }, session);
		if (r.result && r.result.value)
			return r.result.value;
		if (Date.now() > until)
			throw new Error('timed out waiting for ' + what);
		await sleep(100);
	}
}

// The .expect beside the fixture: client port -> verdict.outcome.
function expectedOutcomes(pcap) {
	const expect = pcap.replace(/\.pcap$/, '.expect');
	if (!fs.existsSync(expect))
		return null;   // a capture without expectations: timed only
	const text = fs.readFileSync(expect, 'utf8');
	const out = new Map();
	let port = null;
	for (const line of text.split('\n')) {
		let m = /^session (\d+)/.exec(line);
		if (m) {
			port = Number(m[1]);
			continue;
		}
		m = /^\s+verdict\.outcome (\S+)/.exec(line);
		if (m && port !== null)
			out.set(port, m[1]);
	}
	return out;
}

async function checkFixture(cdp, session, pageUrl, pcap) {
	await cdp.send('Page.navigate', { url: pageUrl }, session);
	await waitFor(cdp, session, "document.body && document.body.dataset.state === 'ready'", 'the analyser');
	const doc = await cdp.send('DOM.getDocument', {}, session);
	const input = await cdp.send('DOM.querySelector', { nodeId: doc.root.nodeId, selector: '#file' }, session);
	await cdp.send('DOM.setFileInputFiles', { files: [path.resolve(pcap)], nodeId: input.nodeId }, session);
	const state = await waitFor(cdp, session,
		"['done','error'].includes(document.body.dataset.state) && document.body.dataset.state",
		'the verdicts of ' + pcap);
	const rows = await waitFor(cdp, session, `(() => {
		const out = [];
		for (const tr of document.querySelectorAll('#sessions tr'))
			out.push([tr.children[2].textContent, tr.dataset.outcome]);
		return JSON.stringify({ rows: out, status: document.getElementById('status').textContent,
			text: document.getElementById('view-text').textContent });
	})()`, 'the table');
	const got = JSON.parse(rows);
	const want = expectedOutcomes(pcap);
	const name = path.basename(pcap);
	if (state !== 'done')
		return fail(name + ': page state ' + state + ': ' + got.status);
	if (!want)
		return console.log('ok ' + name + ': ' + got.status);
	if (got.rows.length !== want.size)
		fail(name + ': ' + got.rows.length + ' rows, ' + want.size + ' sessions expected');
	let agree = 0;
	for (const [client, outcome] of got.rows) {
		const port = Number(client.slice(client.lastIndexOf(':') + 1));
		if (want.get(port) === outcome)
			agree++;
		else
			fail(name + ': client ' + client + ': ' + outcome + ', expected ' + want.get(port));
	}
	console.log('ok ' + name + ': ' + agree + ' of ' + want.size + ' outcomes as expected (' + got.status + ')');
	// The text view (--text-report, written in the same run): its counts line.
	if (got.text.includes('\nsessions: ' + want.size + '  failed: '))
		console.log('ok ' + name + ': text view holds the text report');
	else
		fail(name + ': the text view has no "sessions: ' + want.size + '" line');
}

async function main() {
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sti-chromium-'));
	const { proc, url } = await startChromium(profile);
	const requests = [];
	try {
		const ws = await connect(url);
		const cdp = cdpClient(ws);
		const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
		const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
		// Every request of the page and of the workers it starts.
		cdp.onEvent((msg) => {
			if (msg.method === 'Network.requestWillBeSent')
				requests.push(msg.params.request.url);
			if (msg.method === 'Target.attachedToTarget') {
				const s = msg.params.sessionId;
				cdp.send('Network.enable', {}, s).catch(() => {});
				cdp.send('Runtime.runIfWaitingForDebugger', {}, s).catch(() => {});
			}
		});
		await cdp.send('Target.setAutoAttach',
			{ autoAttach: true, waitForDebuggerOnStart: true, flatten: true }, sessionId);
		await cdp.send('Network.enable', {}, sessionId);
		await cdp.send('Page.enable', {}, sessionId);
		await cdp.send('DOM.enable', {}, sessionId);
		const pageUrl = 'file://' + path.resolve(pagePath);
		for (const pcap of fixtures)
			await checkFixture(cdp, sessionId, pageUrl, pcap);
		const shot = await cdp.send('Page.captureScreenshot', { format: 'png' }, sessionId);
		fs.writeFileSync(screenshot, Buffer.from(shot.data, 'base64'));
		console.log('ok screenshot ' + screenshot);
		const foreign = requests.filter((u) => !/^(file|blob|data):/.test(u));
		if (foreign.length)
			fail('requests other than file:/blob:/data:: ' + foreign.join(' '));
		else
			console.log('ok ' + requests.length + ' requests, all file:, blob: or data:');
		ws.close();
	} finally {
		// The profile goes once Chromium has stopped writing to it.
		const exited = new Promise((resolve) => proc.once('exit', resolve));
		proc.kill('SIGTERM');
		await Promise.race([exited, sleep(10000)]);
		try {
			fs.rmSync(profile, { recursive: true, force: true });
		} catch (e) {
			console.log('note: profile ' + profile + ' not removed: ' + e.message);
		}
	}
	console.log(failures ? failures + ' failed' : 'all passed');
	process.exit(failures ? 1 : 0);
}

main().catch((e) => {
	console.log('FAIL ' + (e && e.stack ? e.stack : e));
	process.exit(1);
});
