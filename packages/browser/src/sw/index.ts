/** Service-worker entry. */
export {}
