/** An injectable source of time (CONVENTIONS: "Time is injectable"). */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
}

/** The real clock, `Date.now()`. */
export const systemClock: Clock = { now: () => Date.now() }
