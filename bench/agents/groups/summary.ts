/** What an aggregation over a shard's rows answers: small, whatever the rows weigh. */
export interface Summary {
  count: number;
  sum: number;
  min: number;
  max: number;
}

export const EMPTY: Summary = { count: 0, sum: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };

export function summarise(rows: readonly number[]): Summary {
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    sum += row;
    if (row < min) min = row;
    if (row > max) max = row;
  }
  return { count: rows.length, sum, min, max };
}

export function merge(a: Summary, b: Summary): Summary {
  return { count: a.count + b.count, sum: a.sum + b.sum, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}
