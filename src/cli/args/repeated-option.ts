/**
 * Every value of an option given more than once (`--backend-url A --backend-url B`, or
 * `--backend-url=A`), in order: the argument parser keeps only the last one.
 */
export function repeatedOption(rawArgs: readonly string[], name: string): string[] {
  const flag = `--${name}`;
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") break;
    if (arg === flag && i + 1 < rawArgs.length) values.push(rawArgs[++i]!);
    else if (arg.startsWith(`${flag}=`)) values.push(arg.slice(flag.length + 1));
  }
  return values;
}
