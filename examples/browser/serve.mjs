// A tiny static server for the browser example: serves examples/browser/ (and a models folder
// under /models/) with the headers that make the page cross-origin isolated, which browsers
// require before memory can be shared with workers (Legato's thread team):
//   Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp.
//   node examples/browser/serve.mjs [--port 8080] [--models dir] [--no-isolation]
// --no-isolation omits them (Legato then runs on one thread and says so).
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json',
  '.css': 'text/css', '.mjs': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.gguf': 'application/octet-stream', '.png': 'image/png',
};

/**
 * Starts the server; resolves to { url, close() }.
 * `mounts` serves more folders under URL prefixes ({ '/wllama/': dir }, for the benchmark).
 * @param {{ port?: number, host?: string, root?: string, models?: string, isolation?: boolean, mounts?: Record<string, string> }} o
 */
export function serveExample({ port = 8080, host = '127.0.0.1', root = fileURLToPath(new URL('.', import.meta.url)), models, isolation = true, mounts = {} } = {}) {
  const prefixes = Object.entries({ ...mounts, ...(models ? { '/models/': models } : {}) });
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let base = resolve(root);
    let rel = path === '/' ? '/index.html' : path;
    for (const [prefix, dir] of prefixes) {
      if (rel.startsWith(prefix)) {
        base = resolve(dir);
        rel = rel.slice(prefix.length - 1);
        break;
      }
    }
    const file = normalize(join(base, rel));
    const headers = isolation
      ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'cross-origin-resource-policy': 'same-origin' }
      : {};
    let size;
    try {
      if (!file.startsWith(base + sep)) throw new Error('outside');
      const st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain', ...headers }).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': String(size),
      'cache-control': 'no-store', ...headers,
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: p } = server.address();
      resolvePromise({ url: `http://${host}:${p}/`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const value = (flag) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const { url } = await serveExample({
    port: Number(value('--port') ?? 8080), models: value('--models'), isolation: !args.includes('--no-isolation'),
  });
  console.log(`Legato browser example at ${url}${args.includes('--no-isolation') ? ' (not cross-origin isolated: one thread)' : ''}`);
}
