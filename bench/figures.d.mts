// Types for figures.mjs, for the docs site's config (TypeScript) that fills the markers at build time.

/** One figure: its text, and whether it stands on lines of its own (a table, a chart). */
export interface BenchFigure {
  readonly text: string;
  readonly block: boolean;
}

/** Every figure the results files in `resultsDir` (bench/results by default) give, by name. */
export function recordedFigures(resultsDir?: string): Promise<Map<string, BenchFigure>>;

/** Fills every `<!-- bench:name -->…<!-- /bench -->` marker of `text`; throws for an unknown name or an unclosed marker. */
export function fillFigures(text: string, figures: ReadonlyMap<string, BenchFigure>, where: string): string;
