/** A row of `hil detect --json`, as the CLI tests read it (one per scheme and variant). */
export interface DetectRow {
  scheme: string;
  variant: string;
  buggy: boolean;
  points: number;
  catching: number;
  windowPercent: number;
  decision: { ops: number; points: number; catching: number };
  secondCuts: { cuts: number; catching: number };
  outcomes: Record<string, number>;
  known: { points: number; hits: { suite: string; entry: number; reason: string; ref?: string; points: number; first: { point: string; outcome: string; repro?: string } }[] };
  caught: boolean;
  rigErrors: number;
  first?: { suite: string; point: string; where?: string; outcome: string; source: string; repro?: string; cut?: string };
}
