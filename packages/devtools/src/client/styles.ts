/**
 * The panel's stylesheet, scoped by its shadow root so it never touches the app's styles.
 * Colours are variables with a light and a dark set (`prefers-color-scheme`); layout is a grid
 * whose sections have their own rows, so no section can overlap another, and container queries
 * drop columns before anything clips.
 */
export const PANEL_CSS = `
:host { all: initial; }
* { box-sizing: border-box; }
.cw { --bg: #ffffff; --bg2: #f6f8fa; --bg3: #eef1f4; --fg: #1f2328; --muted: #59636e; --line: #d0d7de;
  --accent: #0b6e4f; --sel: #ddf4ff; --hover: #f3f8ff; --hit: #1a7f37; --miss: #cf222e; --set: #0969da;
  --warn: #9a6700; --del: #6e7781; --purple: #8250df; --bar: #2da44e; --bar-low: #d4a72c; --bar-out: #cf222e;
  font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: var(--fg); }
@media (prefers-color-scheme: dark) {
  .cw { --bg: #0d1117; --bg2: #161b22; --bg3: #1f2630; --fg: #e6edf3; --muted: #9198a1; --line: #30363d;
    --accent: #3fb950; --sel: #1f3b5c; --hover: #172333; --hit: #3fb950; --miss: #f85149; --set: #58a6ff;
    --warn: #d29922; --del: #9198a1; --purple: #bc8cff; --bar: #3fb950; --bar-low: #d29922; --bar-out: #f85149; }
}
button, input, select, textarea { font: inherit; color: inherit; }
button { background: var(--bg3); border: 1px solid var(--line); border-radius: 4px; padding: 1px 8px; cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); }
button:disabled { opacity: .5; cursor: not-allowed; }
button[aria-pressed="true"] { background: var(--sel); }
input, select, textarea { background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: 1px 6px; min-width: 0; }
:focus-visible { outline: 2px solid var(--set); outline-offset: 1px; }
.cw-toggle { position: fixed; right: 12px; bottom: 12px; z-index: 2147483646; padding: 6px 10px;
  border: 1px solid #8c959f; border-radius: 6px; background: #0b6e4f; color: #fff; }
.cw-panel { position: fixed; z-index: 2147483647; display: grid; grid-template-rows: auto minmax(0, 1fr);
  background: var(--bg); color: var(--fg); box-shadow: 0 -4px 16px rgba(0,0,0,.2); }
.cw-panel[hidden] { display: none; }
.cw-panel[data-side="bottom"] { left: 0; right: 0; bottom: 0; border-top: 2px solid var(--accent); }
.cw-panel[data-side="right"] { top: 0; right: 0; bottom: 0; border-left: 2px solid var(--accent); }
.cw-embedded { height: 100%; }
.cw-panel[data-embedded] { position: relative; inset: auto; width: 100%; height: 100%; box-shadow: none; border: 0; }
.cw-resize { position: absolute; z-index: 2; background: transparent; touch-action: none; }
.cw-resize:hover, .cw-resize:focus-visible, .cw-resize.drag { background: var(--accent); opacity: .6; }
.cw-panel[data-side="bottom"] .cw-resize { left: 0; right: 0; top: -4px; height: 7px; cursor: ns-resize; }
.cw-panel[data-side="right"] .cw-resize { top: 0; bottom: 0; left: -4px; width: 7px; cursor: ew-resize; }
.cw-panel[data-embedded] .cw-resize { display: none; }
.cw-bar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; padding: 4px 8px; background: var(--bg2); border-bottom: 1px solid var(--line); min-width: 0; }
.cw-bar strong { color: var(--accent); }
.cw-tabs { display: flex; gap: 2px; }
.cw-tabs [role="tab"] { border-radius: 4px 4px 0 0; border-bottom: 2px solid transparent; background: transparent; }
.cw-tabs [role="tab"][aria-selected="true"] { border-bottom-color: var(--accent); background: var(--bg); font-weight: bold; }
.cw-status { flex: 1 1 120px; min-width: 0; color: var(--warn); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.cw-status.long { white-space: normal; flex-basis: 100%; order: 10; max-height: 5.6em; overflow: auto; }
.cw-body { min-height: 0; min-width: 0; position: relative; container-type: size; container-name: body; }
.cw-view { position: absolute; inset: 0; display: grid; grid-template-rows: auto minmax(0, 1fr); min-width: 0; }
.cw-view[hidden] { display: none; }
.cw-tools { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; padding: 4px 8px; border-bottom: 1px solid var(--line); min-width: 0; }
.cw-tools input[type="search"] { flex: 1 1 160px; }
.cw-tools select { max-width: 220px; }
.cw-count { color: var(--muted); white-space: nowrap; }
.cw-note { color: var(--muted); min-width: 0; overflow-wrap: anywhere; }
.cw-split { display: grid; grid-template-columns: minmax(0, 1fr); grid-template-rows: minmax(0, 1fr); min-height: 0; min-width: 0; }
.cw-split.has-detail { grid-template-columns: minmax(0, 1.5fr) minmax(0, 1fr); }
@container body (max-width: 720px) {
  .cw-split.has-detail { grid-template-columns: minmax(0, 1fr); grid-template-rows: minmax(0, 1fr) minmax(0, 1.5fr); }
  .cw-split.has-detail .cw-detail { border-left: 0; border-top: 1px solid var(--line); }
}
.cw-list { display: grid; grid-template-rows: auto minmax(0, 1fr); min-width: 0; min-height: 0; container-type: inline-size; }
.cw-head, .cw-row { display: grid; gap: 6px; padding: 0 8px; align-items: center;
  grid-template-columns: 52px 130px minmax(0, 3fr) 26px 136px 58px minmax(0, 2fr); }
.cw-head { background: var(--bg2); font-weight: bold; border-bottom: 1px solid var(--line); height: 22px; }
.cw-head span, .cw-row span { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-width: 0; }
@container (max-width: 760px) {
  .cw-head, .cw-row { grid-template-columns: 44px minmax(0, 2fr) 124px minmax(0, 1fr); }
  .cw-head > :nth-child(2), .cw-row:not(.cw-group) > :nth-child(2), .cw-head > :nth-child(4), .cw-row:not(.cw-group) > :nth-child(4),
  .cw-head > :nth-child(6), .cw-row:not(.cw-group) > :nth-child(6) { display: none; }
}
@container (max-width: 480px) {
  .cw-head, .cw-row { grid-template-columns: minmax(0, 1fr) 96px; }
  .cw-head > :nth-child(1), .cw-row:not(.cw-group) > :nth-child(1), .cw-head > :nth-child(7), .cw-row:not(.cw-group) > :nth-child(7) { display: none; }
}
.cw-viewport { overflow-y: auto; overflow-x: hidden; position: relative; contain: strict; min-height: 0; }
.cw-spacer { position: relative; }
.cw-row { position: absolute; left: 0; right: 0; height: 24px; contain: strict; cursor: pointer; border-bottom: 1px solid var(--bg3); }
.cw-row[hidden] { display: none; }
.cw-row:hover { background: var(--hover); }
.cw-row.sel, .cw-row[aria-selected="true"] { background: var(--sel); }
.cw-row.cw-group { display: flex; gap: 8px; background: var(--bg2); font-weight: bold; color: var(--muted); }
.cw-group .n { font-weight: normal; }
.cw-src { color: var(--purple); }
.cw-ttl { display: flex; align-items: center; gap: 4px; min-width: 0; }
.cw-ttl i { flex: 0 0 40px; height: 6px; border-radius: 3px; background: var(--bg3); overflow: hidden; display: block; }
.cw-ttl i b { display: block; height: 100%; background: var(--bar); }
.cw-ttl i b.low { background: var(--bar-low); }
.cw-ttl i b.out { background: var(--bar-out); }
.cw-ttl i b.stale { background: var(--warn); } .cw-ttl i b.refresh { background: var(--purple); } .cw-ttl i b.lease { background: var(--set); }
.cw-row[data-state="stale"] .cw-ttl span { color: var(--warn); } .cw-row[data-state="refreshing"] .cw-ttl span { color: var(--purple); }
.cw-row[data-state="leased"] .cw-ttl span { color: var(--set); }
.cw-state { font-weight: bold; } .cw-state.s-fresh { color: var(--hit); } .cw-state.s-stale { color: var(--warn); }
.cw-state.s-refreshing { color: var(--purple); } .cw-state.s-leased { color: var(--set); }
.cw-detail { border-left: 1px solid var(--line); display: flex; flex-direction: column; min-width: 0; min-height: 0; overflow: hidden; }
.cw-detail[hidden] { display: none; }
.cw-detail .meta { flex: 0 1 auto; padding: 4px 8px; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; max-height: 38%; overflow: auto; }
.cw-detail .meta .label { font-weight: bold; }
.cw-detail .meta .muted { color: var(--muted); }
.cw-detail > .actions { flex: none; }
.cw-detail .actions { display: flex; flex-wrap: wrap; gap: 6px; padding: 6px 8px; border-bottom: 1px solid var(--line); align-items: center; }
.cw-detail .actions input { width: 70px; }
.cw-value { flex: 1 1 0; overflow: auto; padding: 6px 8px; min-height: 0; }
.cw-value pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.cw-value textarea { width: 100%; min-height: 160px; }
.cw-tree details { margin-left: 12px; }
.cw-tree > details, .cw-tree > .leaf { margin-left: 0; }
.cw-tree summary { cursor: pointer; list-style: revert; }
.cw-tree .leaf { margin-left: 24px; overflow-wrap: anywhere; }
.cw-tree .k { color: var(--purple); }
.cw-tree .ty { color: var(--muted); }
.v-str { color: var(--hit); } .v-num, .v-bigint { color: var(--set); } .v-bool, .v-null, .v-undefined { color: var(--warn); }
.v-date, .v-regexp { color: var(--miss); } .v-ref, .v-cut, .v-fn { color: var(--muted); font-style: italic; }
.cw-http .status { font-weight: bold; }
.cw-http table { border-collapse: collapse; width: 100%; margin: 6px 0; table-layout: fixed; }
.cw-http td, .cw-http th { text-align: left; padding: 1px 6px; border-bottom: 1px solid var(--bg3); overflow-wrap: anywhere; vertical-align: top; }
.cw-http th { width: 34%; color: var(--muted); font-weight: normal; }
.cw-http .fresh { color: var(--hit); font-weight: bold; } .cw-http .stale { color: var(--miss); font-weight: bold; }
.cw-http .life { height: 8px; border-radius: 4px; background: var(--bg3); overflow: hidden; margin: 4px 0; }
.cw-http .life b { display: block; height: 100%; background: var(--bar); }
.cw-http img { max-width: 100%; max-height: 240px; background: repeating-conic-gradient(#ccc 0 25%, #fff 0 50%) 0 0 / 16px 16px; }
.cw-http pre { background: var(--bg2); padding: 6px; max-height: 400px; overflow: auto; }
.cw-tl-head, .cw-tl-row { display: grid; gap: 6px; padding: 0 8px; align-items: center;
  grid-template-columns: 92px 52px 100px 110px minmax(0, 2fr) minmax(0, 1fr); }
.cw-tl-head { background: var(--bg2); font-weight: bold; border-bottom: 1px solid var(--line); height: 22px; }
.cw-tl-head span, .cw-tl-row span { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.cw-tl-row { position: absolute; left: 0; right: 0; height: 22px; contain: strict; cursor: pointer; border-bottom: 1px solid var(--bg3); }
.cw-tl-row:hover { background: var(--hover); }
@container (max-width: 640px) {
  .cw-tl-head, .cw-tl-row { grid-template-columns: 92px 76px minmax(0, 1fr); }
  .cw-tl-head > :nth-child(2), .cw-tl-row > :nth-child(2), .cw-tl-head > :nth-child(3), .cw-tl-row > :nth-child(3),
  .cw-tl-head > :nth-child(6), .cw-tl-row > :nth-child(6) { display: none; }
}
.cw-tl { display: grid; grid-template-rows: auto minmax(0, 1fr); min-height: 0; container-type: inline-size; }
.t-hit, .t-page\\:hit { color: var(--hit); } .t-miss, .t-page\\:miss { color: var(--miss); }
.t-set, .t-page\\:store { color: var(--set); } .t-evict, .t-expire, .t-stale, .t-page\\:not-stored { color: var(--warn); }
.t-delete, .t-clear { color: var(--del); } .t-error, .t-warning { color: var(--miss); font-weight: bold; } .t-refresh { color: var(--purple); }
.cw-cards { overflow: auto; padding: 8px; display: grid; gap: 8px; align-content: start;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 280px), 1fr)); min-height: 0; }
.cw-card { border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; background: var(--bg2); min-width: 0; display: grid; gap: 4px; align-content: start; }
.cw-card h3 { margin: 0; font-size: 12px; display: flex; flex-wrap: wrap; gap: 2px 6px; align-items: baseline; min-width: 0; }
.cw-card h3 .name { overflow-wrap: anywhere; }
.cw-card h3 .muted { color: var(--muted); font-weight: normal; }
.cw-card h3 button { margin-left: auto; }
.cw-card dl { display: grid; grid-template-columns: repeat(2, auto minmax(0, 1fr)); align-items: baseline; gap: 2px 8px; margin: 0; }
.cw-card dt { color: var(--muted); font-size: 11px; }
.cw-card dl.tiers { grid-template-columns: auto minmax(0, 1fr); }
.cw-card dl.tiers dd { font-weight: normal; overflow-wrap: anywhere; }
.cw-card dd { margin: 0; font-weight: bold; }
.cw-card svg { width: 100%; height: 56px; display: block; }
.cw-card .legend { color: var(--muted); font-size: 11px; }
.cw-card .reasons { display: grid; grid-template-columns: minmax(0, 1fr) 2fr 36px; gap: 2px 6px; align-items: center; }
.cw-card .reasons i { display: block; height: 8px; background: var(--warn); border-radius: 2px; }
.cw-card .unused { color: var(--muted); font-style: italic; }
`
