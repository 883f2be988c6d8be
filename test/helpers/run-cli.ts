import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The `earshot` command as npx runs it. */
export const BIN = resolve(import.meta.dirname, '../../bin/earshot.js');

export type CliRun = { code: number | null; stdout: string; stderr: string };

/** Runs `earshot <args>` to its end, with `stdin` written and closed, and collects what it printed. */
export function runCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; stdin?: string } = {},
): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      ...(options.env ? { env: options.env } : {}),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}
