// The page: takes a capture, hands it to the worker with options mapped to
// the command line's, and shows what the C program wrote. It judges
// nothing: the table is the program's JSON lines, the views its reports.
'use strict';

const PAGE_ROWS = 50;
const $ = (id) => document.getElementById(id);
const state = { sessions: [], page: 0, files: {}, name: '', worker: null, ready: false };

function startWorker() {
	const source = $('sti-worker').textContent;
	const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
	const worker = new Worker(url);
	worker.onmessage = (e) => onWorkerMessage(e.data);
	worker.postMessage({ type: 'init', wasm: $('sti-wasm').textContent.trim() });
	state.worker = worker;
}

function setStatus(text) {
	$('status').textContent = text;
}

// The command-line options the form stands for, checked by the program.
function options() {
	const args = ['--min-version', $('min-version').value];
	const ports = $('ports').value.trim();
	if (ports)
		args.push('--ports', ports);
	const only = $('only').value.trim();
	if (only)
		args.push('--only', only);
	const key = $('anonymize').value;
	if (key)
		args.push('--anonymize', key);
	return args;
}

function analyse(file) {
	if (!file)
		return;
	if (!state.ready) {
		setStatus('Still loading the analyser; try again in a moment.');
		return;
	}
	state.name = file.name;
	document.body.dataset.state = 'running';
	setStatus('Analysing ' + file.name + ' (' + (file.size / 1e6).toFixed(1) + ' MB) in this tab...');
	state.worker.postMessage({ type: 'analyse', file, options: options() });
}

function onWorkerMessage(msg) {
	if (msg.type === 'ready') {
		state.ready = true;
		document.body.dataset.state = 'ready';
		setStatus('Ready. Drop a capture (.pcap, .pcapng) or choose one.');
	} else if (msg.type === 'error') {
		document.body.dataset.state = 'error';
		setStatus('Error: ' + msg.message);
	} else if (msg.type === 'done') {
		showResult(msg);
	}
}

function decode(bytes) {
	return bytes ? new TextDecoder().decode(bytes) : '';
}

function showResult(r) {
	state.files = r.files;
	state.sessions = [];
	for (const line of decode(r.files['sessions.json']).split('\n')) {
		if (!line)
			continue;
		const o = JSON.parse(line);
		if (o['event.kind'] === 'session')
			state.sessions.push(o);
	}
	state.page = 0;
	renderTable();
	$('view-text').textContent = decode(r.files['report.txt']);
	$('view-json').textContent = decode(r.files['sessions.json']);
	$('view-md').textContent = decode(r.files['report.md']);
	$('errors').textContent = r.errors.join('\n');
	$('dl-evidence').hidden = !r.files['evidence.pcap'] || r.files['evidence.pcap'].length === 0;
	const mbps = r.bytes / 1e6 / (r.ms / 1000);
	$('results').hidden = false;
	document.body.dataset.state = r.status === 2 ? 'error' : 'done';
	document.body.dataset.exit = String(r.status);
	setStatus(state.name + ': ' + state.sessions.length + ' sessions, exit status ' + r.status +
		(r.status === 2 ? ' (input error, see below)' : '') +
		'; ' + (r.ms / 1000).toFixed(2) + ' s, ' + mbps.toFixed(1) + ' MB/s');
}

const COLUMNS = [
	['#', (s) => s['session.id']],
	['start', (s) => s['event.start']],
	['client', (s) => endpoint(s['source.ip'], s['source.port'])],
	['server', (s) => endpoint(s['destination.ip'], s['destination.port'])],
	['outcome', (s) => s['verdict.outcome']],
	['cause', (s) => s['verdict.cause']],
	['reason', (s) => s['verdict.reason']],
	['confidence', (s) => s['verdict.confidence']],
	['TLS', (s) => s['tls.version'] || ''],
	['explanation', (s) => s['verdict.explanation'] || ''],
];

function endpoint(ip, port) {
	if (ip === undefined)
		return '';
	return (String(ip).includes(':') ? '[' + ip + ']' : ip) + ':' + port;
}

function renderTable() {
	const body = $('sessions');
	body.replaceChildren();
	const pages = Math.max(1, Math.ceil(state.sessions.length / PAGE_ROWS));
	state.page = Math.min(Math.max(0, state.page), pages - 1);
	const rows = state.sessions.slice(state.page * PAGE_ROWS, (state.page + 1) * PAGE_ROWS);
	for (const s of rows) {
		const tr = document.createElement('tr');
		tr.dataset.session = String(s['session.id']);
		tr.dataset.outcome = s['verdict.outcome'];
		tr.className = 'o-' + s['verdict.outcome'];
		for (const [, value] of COLUMNS) {
			const td = document.createElement('td');
			td.textContent = String(value(s));
			tr.appendChild(td);
		}
		body.appendChild(tr);
	}
	$('page').textContent = 'page ' + (state.page + 1) + ' of ' + pages;
	$('prev').disabled = state.page === 0;
	$('next').disabled = state.page >= pages - 1;
}

function download(name, suffix, type) {
	const bytes = state.files[name];
	if (!bytes)
		return;
	const a = document.createElement('a');
	a.href = URL.createObjectURL(new Blob([bytes], { type }));
	a.download = state.name.replace(/\.[^.]*$/, '') + suffix;
	document.body.appendChild(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

function showView(which) {
	for (const v of ['table', 'text', 'json', 'md']) {
		$('view-' + v).hidden = v !== which;
		$('tab-' + v).setAttribute('aria-selected', String(v === which));
	}
}

function wire() {
	const head = $('head');
	for (const [title] of COLUMNS) {
		const th = document.createElement('th');
		th.textContent = title;
		head.appendChild(th);
	}
	$('file').addEventListener('change', (e) => analyse(e.target.files[0]));
	const zone = $('drop');
	zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
	zone.addEventListener('dragleave', () => zone.classList.remove('over'));
	zone.addEventListener('drop', (e) => {
		e.preventDefault();
		zone.classList.remove('over');
		analyse(e.dataTransfer.files[0]);
	});
	$('prev').addEventListener('click', () => { state.page--; renderTable(); });
	$('next').addEventListener('click', () => { state.page++; renderTable(); });
	for (const v of ['table', 'text', 'json', 'md'])
		$('tab-' + v).addEventListener('click', () => showView(v));
	$('dl-json').addEventListener('click', () => download('sessions.json', '.sessions.json', 'application/x-ndjson'));
	$('dl-report').addEventListener('click', () => download('report.md', '.report.md', 'text/markdown'));
	$('dl-evidence').addEventListener('click', () => download('evidence.pcap', '.evidence.pcap', 'application/vnd.tcpdump.pcap'));
	showView('table');
	startWorker();
}

wire();
