/** "did you mean `kill`?": the nearest known word to a mistyped command or option. */

/** Edits (insert, delete, replace, swap two neighbours) that turn `from` into `to`. */
export const editDistance = (from: string, to: string): number => {
  // rows[i][j]: distance between the first i characters of `from` and the first j of `to`.
  const rows = Array.from({ length: from.length + 1 }, (_, i) => Array.from({ length: to.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= from.length; i++) {
    for (let j = 1; j <= to.length; j++) {
      const replace = rows[i - 1]![j - 1]! + (from[i - 1] === to[j - 1] ? 0 : 1)
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, replace)
      if (i > 1 && j > 1 && from[i - 1] === to[j - 2] && from[i - 2] === to[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1)
      rows[i]![j] = best
    }
  }
  return rows[from.length]![to.length]!
}

/** The first letter, past any leading dashes: a tie goes to the candidate that starts like the word. */
const initial = (word: string) => word.replace(/^-+/, "").charAt(0)

/**
 * The candidate `word` most likely meant, ignoring case: one it abbreviates
 * (`--pid-f` for `--pid-file`) if only one does, else the nearest within a
 * third of its length (at least 2 edits: `stat` for `status`; `bsh` for
 * `bash` rather than `sh`); undefined when nothing is close. A candidate
 * whose length differs by more than that is not measured, so a huge word
 * costs no more than a short one.
 */
export const nearest = (word: string, candidates: ReadonlyArray<string>): string | undefined => {
  const typed = word.toLowerCase()
  const abbreviated = candidates.filter((candidate) => typed.length >= 3 && candidate.toLowerCase().startsWith(typed))
  if (abbreviated.length === 1) return abbreviated[0]
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const allowed = Math.max(2, Math.floor(candidate.length / 3))
    if (Math.abs(typed.length - candidate.length) > allowed) continue
    const distance = editDistance(typed, candidate.toLowerCase())
    const closer = distance < bestDistance || (distance === bestDistance && initial(candidate) === initial(typed) && initial(best!) !== initial(typed))
    if (closer && distance <= allowed) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}
