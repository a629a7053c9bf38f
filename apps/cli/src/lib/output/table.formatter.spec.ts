import { printable, renderFields, renderTable } from './table.formatter';

describe('table formatter', () => {
  it('pads columns to the widest cell and leaves no trailing space', () => {
    const table = renderTable(
      [
        { header: 'ID', value: (row: { id: string; label?: string }) => row.id },
        { header: 'LABEL', value: (row) => row.label },
      ],
      [{ id: 'scanner-10', label: 'Floor' }, { id: 'm1' }],
    );
    expect(table).toBe('ID          LABEL\nscanner-10  Floor\nm1\n');
  });

  it('neutralises terminal control sequences in service data', () => {
    expect(printable('evil\u001b[2Jlabel\r\n')).toBe('evil\uFFFD[2Jlabel\uFFFD\uFFFD');
    expect(renderFields([['label', '\u001b]0;title\u0007']])).toBe('label: \uFFFD]0;title\uFFFD\n');
  });

  it('aligns fields and skips empty ones', () => {
    expect(renderFields([['id', 'a'], ['revoked', undefined], ['status', 'active']])).toBe('id:     a\nstatus: active\n');
  });
});
