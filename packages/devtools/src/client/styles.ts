/** The panel's stylesheet, scoped by its shadow root so it never touches the app's styles. */
export const PANEL_CSS = `
:host { all: initial; }
* { box-sizing: border-box; }
.cw { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: #1f2328; }
.cw-toggle { position: fixed; right: 12px; bottom: 12px; z-index: 2147483646; padding: 6px 10px;
  border: 1px solid #8c959f; border-radius: 6px; background: #0b6e4f; color: #fff; cursor: pointer; font: inherit; }
.cw-panel { position: fixed; left: 0; right: 0; bottom: 0; height: min(70vh, 620px); z-index: 2147483647;
  display: flex; flex-direction: column; background: #fff; border-top: 2px solid #0b6e4f;
  box-shadow: 0 -4px 16px rgba(0,0,0,.15); }
.cw-panel[hidden] { display: none; }
header { display: flex; gap: 8px; align-items: center; padding: 6px 8px; background: #f6f8fa; border-bottom: 1px solid #d0d7de; }
header strong { color: #0b6e4f; }
header input, header select, button { font: inherit; }
header input { flex: 1; min-width: 120px; padding: 2px 6px; }
.cw-status { color: #9a6700; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 40%; }
.cw-stats { max-height: 110px; overflow: auto; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 1px 6px; white-space: nowrap; }
th { background: #f6f8fa; position: sticky; top: 0; }
.cw-main { flex: 1; display: flex; min-height: 0; }
.cw-list { flex: 1; display: flex; flex-direction: column; min-width: 0; }
.cw-head, .cw-row { display: grid; grid-template-columns: 110px 90px 90px minmax(120px,2fr) 36px minmax(120px,2fr) 64px 72px minmax(120px,3fr);
  gap: 6px; padding: 0 6px; align-items: center; }
.cw-head span { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.cw-head { background: #f6f8fa; font-weight: bold; border-bottom: 1px solid #d0d7de; height: 22px; }
.cw-viewport { flex: 1; overflow-y: auto; position: relative; contain: strict; }
.cw-spacer { position: relative; }
.cw-row { position: absolute; left: 0; right: 0; height: 22px; contain: strict; cursor: pointer; border-bottom: 1px solid #f0f0f0; }
.cw-row:hover { background: #f3f8ff; }
.cw-row.sel { background: #ddf4ff; }
.cw-row span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.cw-src { color: #8250df; }
.cw-count { color: #57606a; }
.cw-detail { width: 38%; border-left: 1px solid #d0d7de; display: flex; flex-direction: column; min-width: 0; }
.cw-detail[hidden] { display: none; }
.cw-detail .meta { padding: 6px 8px; border-bottom: 1px solid #d0d7de; word-break: break-all; }
.cw-detail .actions { display: flex; gap: 6px; padding: 6px 8px; }
.cw-detail pre { flex: 1; margin: 0; padding: 6px 8px; overflow: auto; background: #f6f8fa; white-space: pre-wrap; word-break: break-all; }
.cw-log { height: 96px; overflow: auto; border-top: 1px solid #d0d7de; padding: 2px 8px; background: #fbfbfb; }
.cw-log div { white-space: nowrap; }
.t-hit { color: #1a7f37; } .t-miss { color: #cf222e; } .t-set { color: #0969da; } .t-evict, .t-expire { color: #9a6700; }
.t-delete, .t-clear { color: #6e7781; }
`
