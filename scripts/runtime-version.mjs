// Prints the runtime that runs this file and its version: "node 22.23.5", "bun 1.4.4", "deno 2.9.6".
/* global Bun, Deno */
const name = typeof Bun !== 'undefined' ? 'bun' : typeof Deno !== 'undefined' ? 'deno' : 'node';
const version = name === 'bun' ? Bun.version : name === 'deno' ? Deno.version.deno : process.versions.node;
console.log(`${name} ${version}`);
