import { readFileSync } from 'node:fs';
import { repoPath } from '../../fixtures/test-image.js';
import { CELLS, cellsMarkdown } from './cells.js';

// docs/failure-modes.md shows the fault matrix exactly as spec/faults/matrix/cells.ts defines it:
// one row per cell (what the user sees, what the run does), in the table's order.
describe('fault matrix: docs/failure-modes.md', () => {
  it('has one row per matrix cell, as the cell table in code says', () => {
    const page = readFileSync(repoPath('docs/failure-modes.md'), 'utf8');
    const table = cellsMarkdown();
    expect(table.split('\n')).toHaveLength(CELLS.length + 2);
    expect(page).toContain(table);
  });
});
