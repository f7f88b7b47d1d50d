/** An injectable source of time (expiry is tested on injected time). */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
}

/** The real clock, `Date.now()`. */
export const systemClock: Clock = { now: () => Date.now() }
