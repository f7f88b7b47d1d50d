/** Devtools client entry. */
export {}
