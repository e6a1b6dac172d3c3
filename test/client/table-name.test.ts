import { describe, expect, it } from 'vitest';
import { splitTableName } from '../../src/insert/table-name.js';

describe('splitTableName', () => {
  it('splits plain, backquoted and double-quoted names', () => {
    expect(splitTableName('events')).toEqual({ database: undefined, name: 'events' });
    expect(splitTableName('db.events')).toEqual({ database: 'db', name: 'events' });
    expect(splitTableName('`my db`.`ev.ents`')).toEqual({ database: 'my db', name: 'ev.ents' });
    expect(splitTableName('"db"."t"')).toEqual({ database: 'db', name: 't' });
    expect(splitTableName('`a\\`b`')).toEqual({ database: undefined, name: 'a`b' });
  });
});
