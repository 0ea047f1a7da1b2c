/**
 * A throwaway redis-server for tests and benches: a free loopback port, no persistence, stopped by the caller.
 * Without redis-server installed it fails with what to install (npm run test:unit installs it as root on
 * Debian: scripts/ensure-redis.mjs), never skips.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { connectRedis } from './analysisJobs';

export interface RedisServer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export const redisServerPath = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startRedisServer(): Promise<RedisServer> {
  if (!existsSync(redisServerPath)) {
    throw new Error(`redis-server is not installed at ${redisServerPath}: apt-get install -y redis-server (or set REDIS_SERVER_PATH); scripts/ensure-redis.mjs installs it as root on Debian`);
  }
  const port = await freePort();
  const child = spawn(redisServerPath, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `redis://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const probe = await connectRedis(url, 1000);
      probe.disconnect();
      break;
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`redis-server did not start on port ${port}: ${(error as Error).message}\n${output}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    process: child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
