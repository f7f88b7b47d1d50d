/** A fixed pseudo-random permutation of 0…n−1 (xorshift32 Fisher–Yates), the same in every process. */
export function shuffledOrder(n: number): Int32Array {
  const order = new Int32Array(n)
  let x = 2463534242
  for (let i = 0; i < n; i++) order[i] = i
  for (let i = n - 1; i > 0; i--) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    const j = (x >>> 0) % (i + 1)
    const t = order[i] as number
    order[i] = order[j] as number
    order[j] = t
  }
  return order
}
