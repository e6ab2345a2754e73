// BENCHMARKS.md: machine and versions, settings, one table per case, the targets; everything after the
// NOTES_MARKER line of an existing file (hand-written analysis) is kept on rewrite.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CaseResult, Row } from './results';
import { cpuOf, cpuPerGiBOf, peakOf, rssAfterOf, secondsOf, throughputOf } from './results';
import { fmtSpread, MIB, spread } from './stats';

export const NOTES_MARKER = '<!-- notes: everything below this line is written by hand and kept when the benchmark rewrites the file -->';

function tool(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AWS_CA_BUNDLE: '' } })
      .trim()
      .split('\n')[0];
  } catch {
    return 'not available';
  }
}

function packageVersion(root: string, name: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function machineLines(repo: string): string[] {
  const cpus = os.cpus();
  return [
    `- Date: ${new Date().toISOString()}`,
    `- CPU: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores; memory ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB; kernel ${os.type()} ${os.release()}`,
    `- Node ${process.version}; cos-nodejs-sdk-v5 ${packageVersion(repo, 'cos-nodejs-sdk-v5')}; ftp-srv ${packageVersion(repo, 'ftp-srv')}; basic-ftp ${packageVersion(repo, 'basic-ftp')}`,
    `- ${tool('rclone', ['version'])}; ${tool('/usr/bin/python3', ['--version'])} with pyftpdlib ${tool('/usr/bin/python3', ['-c', 'import pyftpdlib; print(pyftpdlib.__ver__)'])}; ${tool('curl', ['--version'])}`,
  ];
}

const mib = (bytes: number): string => (bytes / MIB).toFixed(0);

function rowCells(c: CaseResult, row: Row): string[] {
  const failed = row.failures.length ? ` **(${row.failures.length} failed)**` : '';
  const usage = [
    fmtSpread(peakOf(row), 0, MIB),
    fmtSpread(rssAfterOf(row), 0, MIB),
    fmtSpread(cpuOf(row), 2),
    row.party === 'store' ? '—' : fmtSpread(cpuOf(row, 'store'), 2),
  ];
  if (c.kind === 'time') {
    const entries = spread(row.runs.map((r) => r.count ?? NaN));
    return [`${row.label}${failed}`, row.party, fmtSpread(secondsOf(row), 3), fmtSpread(entries, 0), ...usage];
  }
  const errors = spread(row.runs.map((r) => r.errors ?? 0));
  const size = row.runs.length ? mib(row.runs[0].bytes) : 'n/a';
  const [peak, after, cpu, storeCpu] = usage;
  const cells = [`${row.label}${failed}`, row.party, size, fmtSpread(throughputOf(row)), fmtSpread(secondsOf(row), 2), fmtSpread(errors, 0)];
  return [...cells, peak, after, cpu, fmtSpread(cpuPerGiBOf(row), 2), storeCpu];
}

function caseTable(c: CaseResult): string[] {
  const head =
    c.kind === 'time'
      ? ['path', 'measured process', 'seconds', 'entries', 'peak RSS MiB', 'RSS held afterwards MiB', 'CPU s', 'store CPU s']
      : ['path', 'measured process', 'MiB moved', 'MiB/s', 'seconds', 'errors', 'peak RSS MiB', 'RSS held afterwards MiB', 'CPU s', 'CPU s per GiB', 'store CPU s'];
  const lines = [`| ${head.join(' | ')} |`, `|${' --- |'.repeat(head.length)}`];
  for (const row of c.rows) lines.push(`| ${rowCells(c, row).join(' | ')} |`);
  return lines;
}

export function renderCase(c: CaseResult): string[] {
  const out = [`## ${c.title}`, '', ...c.lines, '', ...caseTable(c), ''];
  for (const row of c.rows) for (const f of row.failures.slice(0, 3)) out.push(`- failure, ${row.label}: \`${f.replace(/\s+/g, ' ').slice(0, 300)}\``);
  if (c.ratios.length) {
    out.push('', '| ratio (medians) | value | target | met |', '| --- | --- | --- | --- |');
    for (const r of c.ratios) {
      const met = r.met === undefined ? '' : r.met ? 'yes' : '**no**';
      out.push(`| ${r.name}${r.detail ? ` (${r.detail})` : ''} | ${Number.isFinite(r.value) ? r.value.toFixed(2) : 'n/a'} | ${r.target ?? ''} | ${met} |`);
    }
  }
  out.push('');
  return out;
}

export function renderTargets(cases: CaseResult[]): string[] {
  const rows = cases.flatMap((c) => c.ratios.filter((r) => r.target).map((r) => ({ c, r })));
  if (!rows.length) return [];
  const out = ['## Targets', '', '| case | target | value | met |', '| --- | --- | --- | --- |'];
  for (const { c, r } of rows) {
    const met = r.met === undefined ? 'n/a' : r.met ? 'yes' : '**no**';
    out.push(`| ${c.title} | ${r.name} ${r.target} | ${Number.isFinite(r.value) ? r.value.toFixed(2) : 'n/a'} | ${met} |`);
  }
  return [...out, ''];
}

export interface ReportInput {
  repo: string;
  file: string;
  command: string;
  settings: string[];
  cases: CaseResult[];
}

export function writeReport(input: ReportInput): void {
  let notes = `${NOTES_MARKER}\n\n## What limits it\n\n(not written yet)\n`;
  if (fs.existsSync(input.file)) {
    const old = fs.readFileSync(input.file, 'utf8');
    const at = old.indexOf(NOTES_MARKER);
    if (at >= 0) notes = old.slice(at);
  }
  const text = [
    '# Benchmarks',
    '',
    `Written by \`${input.command}\` (bench/run.ts). Every figure is the median of the repeats, with the spread`,
    '(min–max) in brackets. MiB/s = payload MiB per second of the client’s own clock (connect to done). Peak RSS is',
    'the kernel’s high-water mark of the process during that one measurement (VmHWM, reset before it); CPU s is',
    'user + system time of the process during it (all its threads), and CPU s per GiB the same divided by the GiB of',
    'payload it moved. RSS held afterwards is the process’s VmRSS one second after the measurement ended (for the',
    'servers, which stay up; the SDK clients exit). Every server and client runs as its own process on one machine, so',
    'all of them share its cores.',
    '',
    '## Machine and versions',
    '',
    ...machineLines(input.repo),
    '',
    '## Settings',
    '',
    ...input.settings,
    '',
    ...renderTargets(input.cases),
    ...input.cases.flatMap(renderCase),
    notes,
  ].join('\n');
  fs.writeFileSync(input.file, text);
}
