import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLockFile, DataDirLockedError } from '../../db/lock-file.ts';

describe('data directory lock', () => {
  it('refuses a second holder while the first is alive, and frees on release', () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-lock-'));
    const first = acquireLockFile(dir);
    expect(readFileSync(first.path, 'utf8').trim()).toBe(String(process.pid));
    // Pretend the lock belongs to another live process (our parent).
    writeFileSync(first.path, `${process.ppid}\n`);
    expect(() => acquireLockFile(dir)).toThrow(DataDirLockedError);
    expect(() => acquireLockFile(dir)).toThrow(/in use by another earshot process/);
    first.release();
    const second = acquireLockFile(dir);
    second.release();
  });

  it('takes over a lock left by a dead process', () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-lock-'));
    // Pid 2^22 + 1 is above Linux's pid_max default ceiling, so no such process exists.
    writeFileSync(join(dir, 'earshot.lock'), `${2 ** 22 + 1}\n`);
    const lock = acquireLockFile(dir);
    expect(readFileSync(lock.path, 'utf8').trim()).toBe(String(process.pid));
    lock.release();
  });
});
