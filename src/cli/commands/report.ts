import type { Command } from 'commander';
import { parseIntArg, type Io } from '../io.js';

interface ReportFlags {
  out: string;
  title?: string;
  label: string[];
  maxPoints: number;
  window?: number;
}

const collectLabel = (label: string, previous: string[]): string[] => [...previous, label];

/** `openenv-rx report`: `collect` directories and `rollout --out` files to one self-contained HTML page. */
export function registerReport(program: Command, io: Io): void {
  program
    .command('report')
    .description('turn collect directories and rollout --out files into one self-contained HTML page of charts (several runs overlaid)')
    .argument('<paths...>', 'collect output directories and/or rollout --out JSONL files; each is one run on the page')
    .option('-o, --out <file>', 'the HTML page to write', 'report.html')
    .option('--title <text>', 'the page title (default: the runs\' names)')
    .option('--label <name>', 'a name for the next PATH on the page, in order (repeatable; default: its file or directory name)', collectLabel, [])
    .option('--max-points <n>', 'most points per run on the return charts: longer runs are shown as bucket means (the page says so)', parseIntArg(10), 2000)
    .option('--window <n>', 'episodes in the moving average (default: a tenth of the run, at most 100)', parseIntArg(1))
    .addHelpText(
      'after',
      `
Examples:
  openenv-rx report runs/grid                          # -> report.html
  openenv-rx report runs/a runs/b --label baseline --label tuned -o compare.html
  openenv-rx rollout -n 50 -o steps.jsonl && openenv-rx report steps.jsonl

The page inlines its chart library (uPlot) and data: it opens offline. Inputs are read streaming.`,
    )
    .action(async (paths: string[], flags: ReportFlags) => {
      // The readers, the renderer and uPlot load only when the command runs.
      const [{ writeReport }, { sparkline }] = await Promise.all([import('../../report/write-report.js'), import('../../report/sparkline.js')]);
      const { runs, bytes } = await writeReport(paths, {
        out: flags.out,
        labels: flags.label,
        maxPoints: flags.maxPoints,
        ...(flags.window !== undefined && { window: flags.window }),
        ...(flags.title !== undefined && { title: flags.title }),
      });
      for (const run of runs) {
        const mean = run.meanReturn === null ? '-' : String(Number(run.meanReturn.toPrecision(6)));
        const shown = run.returns.bucket > 1 ? ` (${run.returns.shown} points for ${run.returns.total} episodes)` : '';
        io.out.write(`  ${run.label} (${run.kind}): ${run.episodes} episodes, ${run.failed} failed, mean return ${mean}${shown}  ${sparkline(run.returns.value)}\n`);
      }
      io.out.write(`report: ${runs.length} run(s) -> ${flags.out} (${Math.ceil(bytes / 1024)} KB)\n`);
    });
}
