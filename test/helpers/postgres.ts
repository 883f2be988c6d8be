/**
 * A throwaway PostgreSQL cluster for benchmarks: initdb in a temp directory, started on a free
 * loopback port with durability off (fsync, synchronous commit and full-page writes: the data is
 * thrown away anyway), stopped and deleted by `stop()` or when the process exits.
 *
 * Uses the newest server in /usr/lib/postgresql/<version>/bin (Debian's layout, as .ci/run does).
 * initdb refuses to run as root, so as root the cluster belongs to the `postgres` user and its
 * tools run through `runuser -u postgres --`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type ThrowawayPostgres = {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication). */
  url: string;
  /**
   * CPU seconds (user + system) the cluster's processes have used so far: the postmaster, its
   * running children (backends, background workers) and the children it has reaped. Read from
   * /proc (Linux); null where that cannot be read.
   */
  cpuSeconds(): number | null;
  stop(): Promise<void>;
};

/** /proc/<pid>/stat reports times in clock ticks of USER_HZ, which is 100 on Linux. */
const USER_HZ = 100;

/** utime, stime, cutime, cstime and the parent pid of a process, or null when it is gone. */
function procTimes(pid: string): { own: number; reaped: number; parent: string } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // After "pid (comm) ": state ppid … field 14 utime, 15 stime, 16 cutime, 17 cstime (1-based).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const n = (k: number) => Number(fields[k - 3]);
  return { own: n(14) + n(15), reaped: n(16) + n(17), parent: fields[1] ?? '' };
}

/** CPU seconds of process `root` and its children, living and reaped (see `cpuSeconds`). */
function processTreeCpuSeconds(root: string): number | null {
  const top = procTimes(root);
  if (!top) return null;
  let ticks = top.own + top.reaped;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || pid === root) continue;
    const child = procTimes(pid);
    if (child?.parent === root) ticks += child.own;
  }
  return ticks / USER_HZ;
}

const PG_ROOT = '/usr/lib/postgresql';

/** The bin directory of the newest PostgreSQL server installed, or a clear error. */
export function findPostgresBin(): string {
  const versions = existsSync(PG_ROOT)
    ? readdirSync(PG_ROOT)
        .filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb')))
        .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    : [];
  const newest = versions.at(-1);
  if (newest === undefined) {
    throw new Error(
      `no PostgreSQL server found in ${PG_ROOT}/*/bin: install it (apt-get install postgresql) or set DATABASE_URL`,
    );
  }
  return join(PG_ROOT, newest, 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = findPostgresBin();
  const asRoot = process.getuid?.() === 0;
  /** The command line that runs a PostgreSQL tool as the cluster's owner. */
  const argv = (tool: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];

  const dir = mkdtempSync(join(tmpdir(), 'earshot-bench-pg.'));
  const data = join(dir, 'data');
  const log = join(dir, 'log');
  if (asRoot) await run('install', ['-d', '-o', 'postgres', '-g', 'postgres', '-m', '700', dir]);

  let started = false;
  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    if (started) {
      const [cmd, args] = argv('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      try {
        execFileSync(cmd, args, { stdio: 'ignore' });
      } catch {
        // Already down.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    stopSync();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  const detach = () => {
    process.off('exit', stopSync);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.on('exit', stopSync);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const [initCmd, initArgs] = argv('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    await run(initCmd, initArgs);
    const port = await freePort();
    const options = [
      '-c listen_addresses=127.0.0.1',
      `-p ${port}`,
      `-k ${dir}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c shared_buffers=512MB',
      // Fewer checkpoints while seeding; no effect on what the queries do.
      '-c max_wal_size=4GB',
    ].join(' ');
    const [ctlCmd, ctlArgs] = argv('pg_ctl', ['-D', data, '-l', log, '-w', '-o', options, 'start']);
    started = true;
    await run(ctlCmd, ctlArgs);
    // postmaster.pid's first line is the postmaster's pid.
    const postmaster = readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]?.trim() ?? '';
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      cpuSeconds: () => processTreeCpuSeconds(postmaster),
      stop: async () => {
        if (stopped) return;
        const [stopCmd, stopArgs] = argv('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
        try {
          await run(stopCmd, stopArgs);
        } finally {
          // Until here a crash still stops and removes the cluster from the exit handler.
          stopped = true;
          rmSync(dir, { recursive: true, force: true });
          detach();
        }
      },
    };
  } catch (error) {
    const serverLog = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
    detach();
    stopSync();
    throw new Error(`could not start a throwaway PostgreSQL (${bin})${serverLog ? `:\n${serverLog}` : ''}`, {
      cause: error,
    });
  }
}
