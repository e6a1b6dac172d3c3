/** Splitting SQL fragments the client reads from users and from the server (CREATE TABLE texts, structures). */

/**
 * Splits `a, f(b, c), 'x,y'` at its top-level commas: commas inside brackets, quotes or back-quotes do not count (a
 * backslash escapes the next character inside quotes). The parts are trimmed. `error` says what is unbalanced, for
 * callers that check (a user's text); the parts are still given.
 */
export function splitTopLevel(text: string): { parts: string[]; error?: string } {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  let error: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== undefined) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '`' || c === '"') quote = c;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
    if (depth < 0 && error === undefined) error = `an unbalanced "${c}" at character ${i}`;
  }
  parts.push(text.slice(start).trim());
  if (error === undefined && (depth !== 0 || quote !== undefined)) error = 'an unclosed bracket or quote';
  return { parts, error };
}
