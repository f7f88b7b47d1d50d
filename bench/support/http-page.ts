/** The page every server of the `http` bench answers: ~1 KiB of HTML, the same bytes everywhere. */
export const PAGE = `<!doctype html><html><head><title>bench</title></head><body>${'<p>cachework bench page</p>'.repeat(36)}</body></html>`
