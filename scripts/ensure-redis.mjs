// Finds redis-server for the distributed-analysis tests; installs Debian's when running as root on Debian, else says what to install.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

const path = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';
if (existsSync(path)) {
  console.log(`redis-server: ${path}`);
  process.exit(0);
}
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (isRoot && hasApt) {
  console.log("No redis-server found: installing Debian's redis-server with apt-get…");
  execSync('apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server', { stdio: 'inherit' });
  process.exit(existsSync('/usr/bin/redis-server') ? 0 : 1);
}
console.error(
  'No redis-server found for the distributed-analysis tests (tools/queue). Install it and run again:\n' +
    '  Debian/Ubuntu: sudo apt-get install -y redis-server\n' +
    '  elsewhere: install Redis ≥ 6.2 and set REDIS_SERVER_PATH=/path/to/redis-server',
);
process.exit(1);
