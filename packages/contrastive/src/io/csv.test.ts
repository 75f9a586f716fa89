import { describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';
import { csvTable, parseCsv, parseCsvRecords, writeCsv } from './csv.js';

describe('CSV records (RFC 4180 and the line ends real files have)', () => {
  it('quoted fields keep delimiters, line breaks and doubled quotes', () => {
    const r = parseCsvRecords('name,note\r\n"a, b","say ""hi""\r\nthere"\r\nc,\r\n');
    expect(r.header).toEqual(['name', 'note']);
    expect(r.records).toEqual([
      ['a, b', 'say "hi"\r\nthere'],
      ['c', ''],
    ]);
    expect(r.lines).toEqual([2, 4]);
  });

  it('LF, CRLF and CR-only line ends and a byte-order mark give the same records', () => {
    const want = [
      ['1', '2'],
      ['3', '4'],
    ];
    for (const t of ['x,y\n1,2\n3,4\n', 'x,y\r\n1,2\r\n3,4\r\n', 'x,y\r1,2\r3,4\r', '\ufeffx,y\n1,2\n3,4', 'x,y\n\n1,2\n\n3,4\n\n']) {
      const r = parseCsvRecords(t);
      expect(r.header).toEqual(['x', 'y']);
      expect(r.records).toEqual(want);
    }
  });

  it('semicolon and tab delimiters split where the option says, not on commas', () => {
    expect(parseCsvRecords('a;b\n1,5;2\n', { delimiter: ';' }).records).toEqual([['1,5', '2']]);
    expect(parseCsvRecords('a\tb\n"x\ty"\t2\n', { delimiter: '\t' }).records).toEqual([['x\ty', '2']]);
    expectError(() => parseCsvRecords('a|b\n', { delimiter: '|' as ',' }), 'INVALID_ARGUMENT', 'delimiter');
  });

  it('a stray quote, text after a closing quote and an unclosed quote name their line', () => {
    expectError(() => parseCsvRecords('a,b\n1,x"y\n', 'f.csv'), 'INVALID_ARGUMENT', 'f.csv', 'line 2', 'quote');
    expectError(() => parseCsvRecords('a,b\n"x"y,1\n'), 'INVALID_ARGUMENT', 'line 2', 'closing quote');
    expectError(() => parseCsvRecords('a,b\n1,2\n"open,3\n4,5\n'), 'INVALID_ARGUMENT', 'line 3', 'never closed');
  });

  it('ragged rows are an error naming the line and both counts', () => {
    expectError(() => parseCsvRecords('a,b\n1,2\n3\n', 'v.csv'), 'SHAPE_MISMATCH', 'v.csv', 'line 3', '1 fields', 'expected 2');
  });

  it('an empty file (or one of blank lines or a lone BOM) is an error, not an empty matrix', () => {
    for (const t of ['', '\n\n', '\r\n', '\ufeff']) expectError(() => parseCsv(t, 'e.csv'), 'INVALID_ARGUMENT', 'e.csv', 'empty');
    expectError(() => parseCsv('a,b\n', 'h.csv'), 'INVALID_ARGUMENT', 'h.csv', 'no rows');
  });
});

describe('numeric CSV', () => {
  it('round-trips values, header by option', () => {
    const m = parseCsv('a,b,c\n1,2,3\n4.5,-1e-3,6\n');
    expect(m.header).toEqual(['a', 'b', 'c']);
    expect([m.rows, m.cols]).toEqual([2, 3]);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4.5, Math.fround(-1e-3), 6]);
    expect(parseCsv(writeCsv(m, m.header)).data).toEqual(m.data);
    const h = parseCsv('1,2\n3,4\n', { header: false });
    expect(h.header).toBeUndefined();
    expect(Array.from(h.data)).toEqual([1, 2, 3, 4]);
  });

  it('a headerless file read with the default header: true is refused, not missing its first row', () => {
    expectError(() => parseCsv('1,2\n3,4\n', 'n.csv'), 'INVALID_ARGUMENT', 'n.csv', 'header: false');
  });

  it('1e39 (float32 overflow) is an error, not Infinity', () => {
    expectError(() => parseCsv('a\n1e39\n'), 'NON_FINITE', 'line 2', 'float32');
    expect(parseCsv('a\n3e38\n').data[0]).toBe(Math.fround(3e38));
  });

  it('NaN, inf, empty cells, hex and words name line and column', () => {
    expectError(() => parseCsv('a,b\n1,NaN\n'), 'NON_FINITE', 'line 2', 'column "b"');
    expectError(() => parseCsv('a,b\n1,-inf\n'), 'NON_FINITE', 'line 2');
    expectError(() => parseCsv('a,b\n1,\n'), 'INVALID_ARGUMENT', 'line 2', 'empty');
    expectError(() => parseCsv('a,b\n0x10,1\n'), 'INVALID_ARGUMENT', 'column "a"', '"0x10"');
    expectError(() => parseCsv('1,2\n3,x\n', { header: false }), 'INVALID_ARGUMENT', 'line 2', 'column 2');
  });
});

describe('CSV tables', () => {
  const text = 'id,color,size,species\n1,red,1.5,cat\n2,blue,2,dog\n3,red,0.5,cat\n4,green,3,"bird, small"\n';

  it('the label column is chosen by name and not a feature; classes are sorted', () => {
    const t = csvTable(text, { label: 'species', categorical: ['color'], ignore: ['id'] });
    expect(t.columns).toEqual(['color=blue', 'color=green', 'color=red', 'size']);
    expect(t.classes).toEqual(['bird, small', 'cat', 'dog']);
    expect(Array.from(t.labels!)).toEqual([1, 2, 1, 0]);
    expect(Array.from(t.x.data)).toEqual([0, 0, 1, 1.5, 1, 0, 0, 2, 0, 0, 1, 0.5, 0, 1, 0, 3]);
  });

  it('integer labels keep their numeric order (10 after 9)', () => {
    const t = csvTable('x,y\n1,10\n2,9\n3,2\n', { label: 'y' });
    expect(t.classes).toEqual(['2', '9', '10']);
    expect(Array.from(t.labels!)).toEqual([2, 1, 0]);
  });

  it('a text column not listed as categorical is a clear error that suggests the option', () => {
    expectError(() => csvTable(text, { label: 'species', ignore: ['id'], name: 't.csv' }), 'INVALID_ARGUMENT', 't.csv', 'line 2', '"color"', 'categorical');
  });

  it('an unknown label column lists the columns there are', () => {
    expectError(() => csvTable(text, { label: 'kind' }), 'INVALID_ARGUMENT', '"kind"', '"species"');
  });
});
