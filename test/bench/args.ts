/** `--name N` or `--name=N` (underscores allowed: `1_000_000`); exits 2 with a hint when not a positive integer. */
export function intArg(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  const index = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (index < 0) return fallback;
  const raw = args[index]?.includes('=') ? args[index]?.split('=')[1] : args[index + 1];
  const value = Number(raw?.replaceAll('_', ''));
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} needs a positive integer, e.g. --${name}=${fallback}`);
    process.exit(2);
  }
  return value;
}
