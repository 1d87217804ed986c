/**
 * The first `maxCodePoints` code points of `text`. Every bounded text M10 stores or reports is cut
 * here: a UTF-16 `slice` can split a surrogate pair, which PostgreSQL then refuses in jsonb.
 */
export function truncateCodePoints(text: string, maxCodePoints: number): string {
  if (text.length <= maxCodePoints) return text;
  let end = 0;
  for (let count = 0; count < maxCodePoints && end < text.length; count++) {
    end += (text.codePointAt(end) as number) > 0xffff ? 2 : 1;
  }
  return text.slice(0, end);
}
