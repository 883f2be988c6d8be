/**
 * PGlite has no cross-process locking: two processes on one data directory silently lose writes.
 * An exclusive lock file (created with O_EXCL, holding our pid) makes the second one refuse to start.
 * A lock left by a dead process (its pid no longer exists) is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type LockFile = { path: string; release: () => void };

export function acquireLockFile(dataDir: string): LockFile {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'earshot.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        path,
        release: () => {
          if (released) return;
          released = true;
          rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processExists(holder)) {
        throw new DataDirLockedError(
          `the data directory ${dataDir} is in use by another earshot process (pid ${holder}). ` +
            'The embedded database allows one process at a time: stop the other one, or set ' +
            'DATABASE_URL to a PostgreSQL server to run several.',
        );
      }
      // Stale lock from a process that died: take it over.
      rmSync(path, { force: true });
    }
  }
  throw new DataDirLockedError(`could not take the lock file ${path}`);
}
