/**
 * toFloat32/64OrZero/OrNull of text with a leading '+': ClickHouse 18.16 and 26.7 disagree, so the client refuses
 * it (the server computes it); everything else of the edge set matches both engines.
 */
import { describe, expect, it } from 'vitest';
import { UnsupportedExpressionError } from '../../src/errors.js';
import { compileExpression } from '../../src/expressions/index.js';
import { clientEval, engineEval } from './helpers.js';

const TEXTS = ["'1'", "'-1.5'", "'0'", "''", "'abc'", "'1e3'", "' 1'", "'1 '", "'inf'", "'nan'", "'0x10'", "'1.5.5'"];

describe('toFloat*OrZero / OrNull of text', () => {
  for (const fn of ['toFloat32OrZero', 'toFloat64OrZero', 'toFloat32OrNull', 'toFloat64OrNull']) {
    it(`${fn}: the engines disagree on '+1', and the client refuses it`, async () => {
      const v18 = await engineEval('18.16', `${fn}(x)`, 'String', ["'+1'"]);
      const v26 = await engineEval('26.7', `${fn}(x)`, 'String', ["'+1'"]);
      expect(v18.rows).not.toEqual(v26.rows);
      const compiled = compileExpression(`${fn}(s)`, { s: 'String' }, { timezone: 'UTC' });
      expect(() => compiled.evaluate({ s: ['+1'] }, 1)).toThrow(UnsupportedExpressionError);
    });

    it(`${fn}: the other edge texts match both engines`, async () => {
      const ours = clientEval(`${fn}(x)`, 'String', TEXTS);
      for (const engine of ['18.16', '26.7'] as const) {
        const theirs = await engineEval(engine, `${fn}(x)`, 'String', TEXTS);
        expect(ours.rows, engine).toEqual(theirs.rows);
      }
    });
  }
});
