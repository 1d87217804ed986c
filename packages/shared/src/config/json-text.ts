// JSON.parse for configuration that may hold secrets (token files, routing with webhook secrets and
// SMTP passwords): V8's syntax errors quote a piece of the text, so the error names only where the
// text broke.

export class JsonSyntaxError extends Error {
  constructor(where: string) {
    super(`not valid JSON${where}`);
    this.name = "JsonSyntaxError";
  }
}

/** JSON.parse; a syntax error says "not valid JSON (line L column C)" and nothing of the text. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : "";
    const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message);
    const position = /at position (\d+)/.exec(message);
    throw new JsonSyntaxError(lineColumn ? ` (line ${lineColumn[1]} column ${lineColumn[2]})` : position ? ` (at position ${position[1]})` : "");
  }
}
