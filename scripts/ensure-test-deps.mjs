#!/usr/bin/env node
// The report test renders HTML in Debian's Chromium. Install it when missing and we can (root with
// apt-get, as in CI); otherwise say how, and let that test fail with its own clear message.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = existsSync('/usr/bin/apt-get');
  if (root && apt) {
    console.error('installing Debian chromium for the report rendering test…');
    execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null', { stdio: 'inherit' });
  } else {
    console.error(`note: ${CHROMIUM} is missing; install Debian's chromium (apt-get install chromium) or the report test will fail`);
  }
}
