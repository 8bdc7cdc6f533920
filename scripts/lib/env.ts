/** Settings benchmarks read from the environment. */

/** A positive whole number from the environment variable `name` (underscores allowed), or `fallback`. */
export function envCount(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text.trim() === "") return fallback;
  if (!/^\d[\d_]*$/.test(text.trim()) || Number(text.replaceAll("_", "")) <= 0) {
    throw new Error(`invalid ${name}="${text}": expected a positive whole number`);
  }
  return Number(text.replaceAll("_", ""));
}
