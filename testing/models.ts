/**
 * Where tests find the shared test models: `LEGATO_TEST_MODELS`, else `../shared/models` beside the
 * repository root. A missing directory or file fails the test with its name — never a silent skip.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function modelsDir(): string {
  const env = process.env.LEGATO_TEST_MODELS;
  const dir = env ? (isAbsolute(env) ? env : resolve(REPO_ROOT, env)) : resolve(REPO_ROOT, '../shared/models');
  if (!existsSync(dir)) {
    throw new Error(`test models directory not found: ${dir} (set LEGATO_TEST_MODELS to the shared models folder)`);
  }
  return dir;
}

/** Absolute path of a file under the models directory; throws naming it if absent. */
export function modelPath(relative: string): string {
  const p = resolve(modelsDir(), relative);
  if (!existsSync(p)) throw new Error(`test model not found: ${p} (LEGATO_TEST_MODELS=${modelsDir()})`);
  return p;
}
