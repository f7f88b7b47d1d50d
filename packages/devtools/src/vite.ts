/** Vite plugin entry. */
export {}
