// Decimal rounding that agrees with Python's round(x, n) (ties to even on the exact binary value),
// so scores and confidences match the predecessor's to the last digit.

/** Rounds `value` to `decimals` (1..20) decimal places, ties to even. */
export function roundHalfEven(value: number, decimals: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  if (!Number.isInteger(decimals) || decimals < 1 || decimals > 20) {
    throw new RangeError("decimals must be an integer from 1 to 20");
  }
  const magnitude = Math.abs(value);
  // toFixed(d) rounds exact ties away from zero; it is otherwise correctly rounded. A tie is only
  // possible when the exact decimal expansion is "5" followed by zeros after the kept digits.
  let rounded = Number(magnitude.toFixed(decimals));
  const exact = magnitude.toFixed(100);
  const point = exact.indexOf(".");
  const tail = exact.slice(point + 1 + decimals);
  if (/^50*$/.test(tail)) {
    const lastKept = Number(exact.charAt(point + decimals));
    if (lastKept % 2 === 0) rounded = Number(exact.slice(0, point + 1 + decimals));
  }
  return Math.sign(value) * rounded;
}

/** `ratio` as a percentage with one decimal, like Python's f"{ratio:.1%}". */
export function formatPercent(ratio: number): string {
  return `${roundHalfEven(ratio * 100, 1).toFixed(1)}%`;
}
