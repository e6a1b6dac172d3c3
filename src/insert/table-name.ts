/** Table names as SQL: the parts of `db.t` (the client's system.tables lookups, the sharded inserter's). */

/** Splits `db.t`, `` `db`.`t` `` or `"db"."t"` into its parts, unquoted. */
export function splitTableName(table: string): { database: string | undefined; name: string } {
  const parts: string[] = [];
  let i = 0;
  const text = table.trim();
  while (i < text.length) {
    const quote = text[i];
    if (quote === '`' || quote === '"') {
      let part = '';
      i++;
      while (i < text.length && text[i] !== quote) {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        part += text[i++];
      }
      parts.push(part);
      i++;
    } else {
      const dot = text.indexOf('.', i);
      const end = dot === -1 ? text.length : dot;
      parts.push(text.slice(i, end).trim());
      i = end;
    }
    if (text[i] === '.') i++;
  }
  return parts.length >= 2
    ? { database: parts[0], name: parts.slice(1).join('.') }
    : { database: undefined, name: parts[0] ?? '' };
}
