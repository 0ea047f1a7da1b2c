// Finds a Chromium for Playwright; installs Debian's when running as root on Debian, else says what to install.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
const found = candidates.find((path) => existsSync(path));
if (found) {
  console.log(`Chromium: ${found}`);
  process.exit(0);
}
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (isRoot && hasApt) {
  console.log('No Chromium found: installing Debian\'s chromium with apt-get (about 30 s)…');
  execSync('apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium', { stdio: 'inherit' });
  process.exit(existsSync('/usr/bin/chromium') ? 0 : 1);
}
console.error(
  'No Chromium found for the browser tests. Install one and run again:\n' +
    '  Debian/Ubuntu: sudo apt-get install -y chromium\n' +
    '  elsewhere: install Chromium and set CHROMIUM_PATH=/path/to/chromium',
);
process.exit(1);
