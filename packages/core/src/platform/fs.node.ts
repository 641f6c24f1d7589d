/**
 * The file-system calls the GGUF reader makes (gguf/source.ts), on Node, Deno and Bun. The browser
 * twin (fs.browser.ts) has the same names and refuses paths, so a path given in a browser fails
 * as an unreadable file, with a message saying what to pass instead.
 */
export { closeSync, fstatSync, openSync, read, readSync } from 'node:fs';
export { fileURLToPath } from 'node:url';
