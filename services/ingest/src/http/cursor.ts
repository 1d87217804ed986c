// Keyset pagination cursors (docs/architecture.md §4.5): opaque to clients, base64url of the last
// row's sort key ({"id": n}), so a page costs an index range scan however deep it is.
import { BadRequestError } from "../errors.js";

export function encodeCursor(lastId: number): string {
  return Buffer.from(JSON.stringify({ id: lastId }), "utf8").toString("base64url");
}

/** The row id a cursor names; a cursor this API did not hand out is a 400 invalid_cursor. */
export function decodeCursor(cursor: string): number {
  let id: unknown;
  try {
    id = (JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { id?: unknown }).id;
  } catch {
    id = undefined;
  }
  if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > 2_147_483_647) {
    throw new BadRequestError("cursor is not a cursor from a previous page's next_cursor", { code: "invalid_cursor", field: "cursor", location: "query" });
  }
  return id;
}

/** The next page's cursor: the last row's, when more rows follow. */
export function nextCursor(rows: readonly { id: number }[], hasMore: boolean): string | null {
  const last = rows.at(-1);
  return hasMore && last ? encodeCursor(last.id) : null;
}
