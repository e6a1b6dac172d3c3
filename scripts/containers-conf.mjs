#!/usr/bin/env node
/**
 * Merges the settings podman needs on our Debian machines into containers.conf (TOML), idempotently:
 *
 *   [containers]
 *   default_ulimits = []       # the default ulimits are refused here
 *   [engine]
 *   runtime = "runc"           # crun fails on this machine's cgroups
 *
 *   node scripts/containers-conf.mjs [FILE]     # default /etc/containers/containers.conf
 *
 * Only these two keys are touched: other keys, comments and sections stay as they are. A key already set to another
 * value is replaced (a multi-line array value included); a missing key is added right under its section header; a
 * missing section is appended. Nothing is written when the file already holds the settings. The first time it changes
 * an existing file it keeps a copy as FILE.orig-clickhouse-native. Plain Node, no dependencies: it runs before npm ci.
 */
import fs from 'node:fs';
import path from 'node:path';

export const SETTINGS = [
  { section: 'containers', key: 'default_ulimits', value: '[]' },
  { section: 'engine', key: 'runtime', value: '"runc"' },
];

const HEADER = /^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]\s*(#.*)?$/;
const ARRAY_HEADER = /^\s*\[\[/;

/** Net count of '[' minus ']' outside strings and comments. */
function bracketDepth(text) {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') break;
    else if (c === '[') depth++;
    else if (c === ']') depth--;
  }
  return depth;
}

/** Returns { text, changes } with every setting merged into the TOML text. */
export function mergeContainersConf(original, settings = SETTINGS) {
  const lines = original === '' ? [] : original.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const changes = [];
  for (const { section, key, value } of settings) {
    const wanted = `${key} = ${value}`;
    const headerAt = lines.findIndex((l) => HEADER.exec(l)?.[1] === section);
    if (headerAt < 0) {
      if (lines.length > 0 && lines[lines.length - 1].trim() !== '') lines.push('');
      lines.push(`[${section}]`, wanted);
      changes.push(`added [${section}] with ${wanted}`);
      continue;
    }
    let end = headerAt + 1;
    while (end < lines.length && !HEADER.test(lines[end]) && !ARRAY_HEADER.test(lines[end])) end++;
    const keyLine = new RegExp(`^\\s*${key}\\s*=`);
    const at = lines.slice(headerAt + 1, end).findIndex((l) => keyLine.test(l));
    if (at < 0) {
      lines.splice(headerAt + 1, 0, wanted);
      changes.push(`added ${wanted} to [${section}]`);
      continue;
    }
    const start = headerAt + 1 + at;
    // The value may span lines (an array): take lines until its brackets close.
    let last = start;
    let depth = bracketDepth(lines[start].slice(lines[start].indexOf('=') + 1));
    while (depth > 0 && last + 1 < end) {
      last++;
      depth += bracketDepth(lines[last]);
    }
    const current = lines.slice(start, last + 1);
    if (
      current.length === 1 &&
      current[0]
        .trim()
        .replace(/\s*#.*$/, '')
        .replace(/\s+/g, ' ') === wanted
    )
      continue;
    lines.splice(start, last - start + 1, wanted);
    changes.push(`[${section}] ${current.map((l) => l.trim()).join(' ')}  ->  ${wanted}`);
  }
  return { text: lines.join('\n') + '\n', changes };
}

function main() {
  const file = process.argv[2] ?? '/etc/containers/containers.conf';
  const exists = fs.existsSync(file);
  const original = exists ? fs.readFileSync(file, 'utf8') : '';
  const { text, changes } = mergeContainersConf(original);
  if (changes.length === 0) {
    console.log(`${file}: already holds default_ulimits = [] and runtime = "runc", unchanged`);
    return;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const backup = `${file}.orig-clickhouse-native`;
  if (exists && !fs.existsSync(backup)) fs.copyFileSync(file, backup);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text, { mode: exists ? fs.statSync(file).mode & 0o7777 : 0o644 });
  fs.renameSync(tmp, file);
  for (const c of changes) console.log(`${file}: ${c}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) main();
