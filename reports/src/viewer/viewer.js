// raftsim's replay viewer. Reads the JSON document in #viewer-data (its
// layout: reports/src/viewer/encode.rs), decodes each variant once, and
// draws the state of the chosen variants at one virtual instant T. The state
// of a node at T is its last status change at or before T, and whether it is
// down or paused by its last crash, restart, pause or resume at or before T:
// the rule `raftsim inspect` follows. No library, no network.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("viewer-data").textContent);
  const SVGNS = document.getElementById("viewer-ns").namespaceURI;
  const N = DATA.nodes;
  const FATES = DATA.vocabulary.fates;
  const RAFT_ROLES = ["follower", "precandidate", "candidate", "leader"];
  const NODE_COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#e15759", "#76b7b2",
    "#edc948", "#9c755f", "#ff9da7", "#bab0ac"];
  const MARKER_COLOURS = { fault: "#555555", election: "#d89a00", disruption: "#d62728",
    config: "#2ca02c", violation: "#000000" };
  const CLASS_NAMES = { vote: "vote request", prevote: "pre-vote request",
    "vote-reply": "vote answer", append: "append / heartbeat", "append-reply": "append answer",
    snapshot: "snapshot", other: "other" };
  const SPEEDS = [0.001, 0.01, 0.1, 1, 10, 100, 1000];
  const ZOOMS = [0, 600e6, 60e6, 10e6, 1e6, 100e3];

  // ---- decoding ----------------------------------------------------------

  function bytesOf(base64) {
    const text = atob(base64);
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }

  function reader(bytes) {
    let i = 0;
    return {
      u() {
        let value = 0, scale = 1, b;
        do {
          b = bytes[i++];
          value += (b & 127) * scale;
          scale *= 128;
        } while (b & 128);
        return value;
      },
      z() {
        const u = this.u();
        return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      },
    };
  }

  function decodeStatuses(v) {
    const per = [];
    let total = 0;
    for (let n = 0; n < N; n++) {
      const count = v.status_counts[n];
      const p = { t: new Float64Array(count), role: new Uint8Array(count),
        term: new Float64Array(count), vote: new Uint8Array(count),
        leader: new Uint8Array(count), log: new Float64Array(count),
        commit: new Float64Array(count) };
      const r = reader(bytesOf(v.statuses[n]));
      let t = 0, role = 0, term = 0, vote = 0, leader = 0, log = 0, commit = 0;
      for (let k = 0; k < count; k++) {
        t += r.u();
        const flags = r.u();
        if (flags & 1) role = r.u();
        if (flags & 2) term = r.u();
        if (flags & 4) vote = r.u();
        if (flags & 8) leader = r.u();
        if (flags & 16) log += r.z();
        if (flags & 32) commit += r.z();
        p.t[k] = t; p.role[k] = role; p.term[k] = term; p.vote[k] = vote;
        p.leader[k] = leader; p.log[k] = log; p.commit[k] = commit;
      }
      per.push(p);
      total += count;
    }
    const times = new Float64Array(total);
    let at = 0;
    for (const p of per) { times.set(p.t, at); at += p.t.length; }
    times.sort();
    return { per, times };
  }

  function decodeMessages(v) {
    const count = v.message_count;
    const m = {
      count, sent: new Float64Array(count), end: new Float64Array(count),
      from: new Uint8Array(count), to: new Uint8Array(count), kind: new Uint16Array(count),
      fate: new Uint8Array(count), term: new Float64Array(count),
    };
    const r = reader(bytesOf(v.messages));
    let sent = 0, term = 0, maxFlight = 0;
    const flights = [];
    for (let k = 0; k < count; k++) {
      sent += r.u();
      const pair = r.u();
      const kf = r.u();
      const flight = r.u();
      term += r.z();
      m.sent[k] = sent; m.end[k] = sent + flight;
      m.from[k] = Math.floor(pair / N); m.to[k] = pair % N;
      m.kind[k] = Math.floor(kf / 8); m.fate[k] = kf % 8; m.term[k] = term;
      if (flight > maxFlight) maxFlight = flight;
      if (flight > 0 && flights.length < 5000) flights.push(flight);
    }
    flights.sort((a, b) => a - b);
    // A message that never left is shown for a typical flight time.
    m.lostShow = flights.length ? flights[flights.length >> 1] : 1000;
    m.maxFlight = Math.max(maxFlight, m.lostShow);
    m.ends = Float64Array.from(m.end).sort();
    return m;
  }

  function decodeNodeEvents(v) {
    const names = ["crash", "restart", "pause", "resume"];
    const r = reader(bytesOf(v.node_events));
    const all = [];
    let t = 0;
    for (let k = 0; k < v.node_event_count; k++) {
      t += r.u();
      const head = r.u();
      all.push([t, head % N, names[Math.floor(head / N)]]);
    }
    return all;
  }

  function decodeVariant(v) {
    const st = decodeStatuses(v);
    const events = [];
    for (let n = 0; n < N; n++) events.push([]);
    const nodeEvents = decodeNodeEvents(v);
    for (const [t, node, kind] of nodeEvents) events[node].push([t, kind]);
    const windows = [];
    const w = reader(bytesOf(v.windows));
    for (let k = 0, at = 0; k < v.window_count; k++) {
      const start = at + w.u();
      at = start + w.u();
      windows.push([start, at]);
    }
    const links = v.links.map(([t, flat]) => {
      const cut = new Set();
      for (let i = 0; i < flat.length; i += 2) cut.add((flat[i] - 1) * 64 + (flat[i + 1] - 1));
      return { t, cut, flat };
    });
    const configs = v.configs.map(([t, voters, learners]) =>
      ({ t, voters: new Set(voters), learners: new Set(learners) }));
    const markers = v.markers.map(([t, kind, text]) => ({ t, kind, text, variant: v.label }));
    const other = [];
    for (const e of nodeEvents) other.push(e[0]);
    for (const l of links) other.push(l.t);
    for (const c of configs) other.push(c.t);
    for (const mk of markers) other.push(mk.t);
    const d = {
      label: v.label, end: v.end_us, coarse: v.coarse_us, linksKnown: v.links_known,
      kinds: v.kinds, classes: v.classes, per: st.per, statusTimes: st.times,
      msgs: decodeMessages(v), events, windows, links, configs, markers,
      otherTimes: Float64Array.from(other).sort(),
    };
    d.leaders = leaderSegments(d);
    return d;
  }

  // ---- state at an instant -----------------------------------------------

  /** The first index whose value is greater than x. */
  function upper(arr, x) {
    let lo = 0, hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (arr[mid] <= x) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** The first index whose value is at least x. */
  function lower(arr, x) {
    let lo = 0, hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (arr[mid] < x) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  function lastAtOrBefore(list, t) {
    let found = null;
    for (const item of list) {
      if (item.t <= t) found = item; else break;
    }
    return found;
  }

  /** Node n (0-based) of variant d at T, or null before its first status. */
  function nodeAt(d, n, T) {
    const p = d.per[n];
    const i = upper(p.t, T) - 1;
    if (i < 0) return null;
    let up = true, paused = false;
    for (const [t, kind] of d.events[n]) {
      if (t > T) break;
      if (kind === "crash") { up = false; paused = false; }
      else if (kind === "restart") up = true;
      else if (kind === "pause") paused = true;
      else if (kind === "resume") paused = false;
    }
    const raftRole = RAFT_ROLES[p.role[i]];
    const config = lastAtOrBefore(d.configs, T);
    let role = raftRole;
    if (!up) role = "crashed";
    else if (paused) role = "paused";
    else if (config && !config.voters.has(n + 1) && !config.learners.has(n + 1)) role = "removed";
    else if (config && config.learners.has(n + 1)) role = "learner";
    return {
      node: n + 1, role, raftRole, up, paused, term: p.term[i], vote: p.vote[i],
      leader: p.leader[i], log: p.log[i], commit: p.commit[i], since: p.t[i],
    };
  }

  function exactAt(d, T) {
    for (const [start, end] of d.windows) {
      if (start <= T && T <= end) return true;
      if (start > T) break;
    }
    return false;
  }

  /** Who led when: the running node in role leader with the highest term. */
  function leaderSegments(d) {
    const changes = [];
    for (let n = 0; n < N; n++) {
      const p = d.per[n];
      for (let i = 0; i < p.t.length; i++) changes.push([p.t[i], n, "status", i]);
      for (const [t, kind] of d.events[n]) changes.push([t, n, kind, -1]);
    }
    changes.sort((a, b) => a[0] - b[0]);
    const role = new Array(N).fill(0), term = new Array(N).fill(0);
    const up = new Array(N).fill(true), paused = new Array(N).fill(false);
    const segments = [];
    let current = null;
    for (let k = 0; k < changes.length; k++) {
      const [t, n, kind, i] = changes[k];
      if (kind === "status") { role[n] = d.per[n].role[i]; term[n] = d.per[n].term[i]; }
      else if (kind === "crash") { up[n] = false; paused[n] = false; }
      else if (kind === "restart") up[n] = true;
      else if (kind === "pause") paused[n] = true;
      else if (kind === "resume") paused[n] = false;
      if (k + 1 < changes.length && changes[k + 1][0] === t) continue;
      let best = -1;
      for (let j = 0; j < N; j++) {
        if (up[j] && role[j] === 3 && (best < 0 || term[j] > term[best])) best = j;
      }
      const who = best < 0 ? null : { node: best, term: term[best], paused: paused[best] };
      const same = current && who && current.node === who.node && current.term === who.term
        && current.paused === who.paused;
      if (same || (!current && !who)) continue;
      if (current) { current.end = t; segments.push(current); }
      current = who ? Object.assign({ start: t }, who) : null;
    }
    if (current) { current.end = d.end; segments.push(current); }
    return segments;
  }

  // ---- the page's state --------------------------------------------------

  const variants = DATA.variants.map(decodeVariant);
  const byLabel = new Map(variants.map((d) => [d.label, d]));
  const duration = Math.max(DATA.duration_us, ...variants.map((d) => d.end));
  const state = { T: 0, left: null, right: null, playing: false, speed: 0.01, zoom: 0,
    lastFrame: 0, hashTimer: 0 };

  const $ = (id) => document.getElementById(id);

  function svg(tag, attrs, parent) {
    const el = document.createElementNS(SVGNS, tag);
    for (const key in attrs) el.setAttribute(key, attrs[key]);
    if (parent) parent.appendChild(el);
    return el;
  }

  function titled(el, text) {
    svg("title", {}, el).textContent = text;
    return el;
  }

  function seconds(us) {
    return (us / 1e6).toFixed(6) + " s";
  }

  function shortSeconds(us) {
    const s = us / 1e6;
    return (s >= 100 ? s.toFixed(2) : s >= 10 ? s.toFixed(3) : s.toFixed(4)) + " s";
  }

  function shown() {
    return [state.left, state.right].filter((d) => d);
  }

  // ---- panels ------------------------------------------------------------

  const VIEW_W = 700, VIEW_H = 480, CX = 350, CY = 242;
  const RADIUS = N <= 3 ? 110 : N <= 7 ? 140 : 160;
  const NODE_R = N <= 7 ? 27 : N <= 12 ? 21 : 14;

  function position(n) {
    const angle = -Math.PI / 2 + (2 * Math.PI * n) / N;
    return [CX + RADIUS * Math.cos(angle), CY + RADIUS * Math.sin(angle), angle];
  }

  function makePanel(d) {
    const section = document.createElement("section");
    section.className = "panel";
    section.dataset.variant = d.label;
    const h = document.createElement("h3");
    const name = document.createElement("span");
    name.textContent = d.label;
    const badge = document.createElement("span");
    badge.className = "badge";
    h.append(name, badge);
    const summary = document.createElement("div");
    summary.className = "summary";
    const ring = svg("svg", { class: "ring", viewBox: `0 0 ${VIEW_W} ${VIEW_H}`,
      role: "img", "aria-label": `nodes of ${d.label}` });
    const linkLayer = svg("g", { class: "links" }, ring);
    const cutLayer = svg("g", { class: "cuts" }, ring);
    const nodeLayer = svg("g", { class: "nodes" }, ring);
    // Above the nodes: an arrow just sent or about to arrive shows at the rim.
    const msgLayer = svg("g", { class: "messages" }, ring);
    const links = [];
    for (let a = 0; a < N; a++) {
      for (let b = a + 1; b < N; b++) {
        const [x1, y1] = position(a), [x2, y2] = position(b);
        links.push({ a, b, el: svg("line", { class: "link", x1, y1, x2, y2 }, linkLayer) });
      }
    }
    const nodes = [];
    for (let n = 0; n < N; n++) {
      const [x, y, angle] = position(n);
      const g = svg("g", { class: "node", "data-node": n + 1 }, nodeLayer);
      const title = svg("title", {}, g);
      svg("circle", { class: "body", cx: x, cy: y, r: NODE_R,
        stroke: NODE_COLOURS[n % NODE_COLOURS.length] }, g);
      const id = svg("text", { class: "id", x, y: y + 6, "text-anchor": "middle" }, g);
      id.textContent = String(n + 1);
      const icon = svg("text", { class: "icon", x, y: y + NODE_R - 5, "text-anchor": "middle" }, g);
      // The three lines of text sit outside the ring, away from the centre.
      const cos = Math.cos(angle), sin = Math.sin(angle);
      const lx = x + cos * (NODE_R + 10), ly = y + sin * (NODE_R + 14);
      const anchor = cos > 0.3 ? "start" : cos < -0.3 ? "end" : "middle";
      const top = sin < -0.3 ? ly - 34 : sin > 0.3 ? ly : ly - 14;
      const lines = [0, 1, 2].map((k) =>
        svg("text", { x: lx, y: top + 16 * k + 4, "text-anchor": anchor }, g));
      lines[0].setAttribute("class", "role");
      nodes.push({ g, title, icon, lines });
    }
    section.append(h, summary, ring);
    return { d, section, badge, summary, msgLayer, cutLayer, links, nodes };
  }

  function roleText(s) {
    if (s.role === "crashed") return "crashed";
    if (s.role === "paused") return "paused (" + s.raftRole + ")";
    return s.role;
  }

  function drawNodes(panel, T, exact) {
    for (let n = 0; n < N; n++) {
      const el = panel.nodes[n];
      const s = nodeAt(panel.d, n, T);
      const g = el.g;
      if (!s) {
        g.setAttribute("data-role", "follower");
        for (const line of el.lines) line.textContent = "";
        continue;
      }
      g.setAttribute("data-role", s.role);
      g.setAttribute("data-raft-role", s.raftRole);
      g.setAttribute("data-term", s.term);
      g.setAttribute("data-vote", s.vote || "");
      g.setAttribute("data-leader", s.leader || "");
      g.setAttribute("data-log", s.log);
      g.setAttribute("data-commit", s.commit);
      g.setAttribute("data-up", s.up);
      g.setAttribute("data-paused", s.paused);
      g.setAttribute("data-exact", exact);
      el.icon.textContent = s.role === "crashed" ? "\u2715" : s.role === "paused" ? "\u2016" : "";
      el.lines[0].textContent = roleText(s) + " \u00B7 t" + s.term;
      el.lines[1].textContent = "log " + s.log + " \u00B7 commit " + s.commit;
      el.lines[1].setAttribute("class", exact ? "" : "coarse");
      el.lines[2].textContent = "vote " + (s.vote || "\u2014") + " \u00B7 leader " + (s.leader || "\u2014");
      el.title.textContent = `node ${n + 1}: ${roleText(s)}, term ${s.term}, voted for `
        + `${s.vote || "nobody"}, knows leader ${s.leader || "none"}, log ${s.log}, `
        + `commit ${s.commit}${exact ? "" : " (log and commit sampled: outside the detail windows)"}`;
    }
  }

  function cutAt(d, T) {
    const l = lastAtOrBefore(d.links, T);
    return l ? l.cut : new Set();
  }

  function cross(layer, x, y, size, cls) {
    svg("line", { class: cls, x1: x - size, y1: y - size, x2: x + size, y2: y + size }, layer);
    svg("line", { class: cls, x1: x - size, y1: y + size, x2: x + size, y2: y - size }, layer);
  }

  function drawLinks(panel, T) {
    const cut = cutAt(panel.d, T);
    panel.cutLayer.textContent = "";
    const texts = [];
    for (const link of panel.links) {
      const ab = cut.has(link.a * 64 + link.b), ba = cut.has(link.b * 64 + link.a);
      link.el.setAttribute("class", ab || ba ? "link cut" : "link");
      if (!ab && !ba) continue;
      const [x1, y1] = position(link.a), [x2, y2] = position(link.b);
      // Both ways: a cross in the middle; one way: near the side that cannot send.
      const f = ab && ba ? 0.5 : ab ? 0.3 : 0.7;
      cross(panel.cutLayer, x1 + (x2 - x1) * f, y1 + (y2 - y1) * f, 4, "cutmark");
      texts.push(ab && ba ? `${link.a + 1}-${link.b + 1}`
        : ab ? `${link.a + 1}\u2192${link.b + 1}` : `${link.b + 1}\u2192${link.a + 1}`);
    }
    return texts;
  }

  function drawMessages(panel, T) {
    const m = panel.d.msgs;
    const layer = panel.msgLayer;
    layer.textContent = "";
    let count = 0;
    const first = lower(m.sent, T - m.maxFlight);
    const last = upper(m.sent, T);
    for (let k = first; k < last; k++) {
      const never = m.end[k] === m.sent[k];
      const until = never ? m.sent[k] + m.lostShow : m.end[k];
      if (T >= until) continue;
      const a = m.from[k], b = m.to[k];
      const [x1, y1] = position(a), [x2, y2] = position(b);
      const len = Math.hypot(x2 - x1, y2 - y1);
      const ux = (x2 - x1) / len, uy = (y2 - y1) / len;
      const side = a < b ? 4 : -4;
      const rim = NODE_R + 3;
      const sx = x1 + ux * rim - uy * side, sy = y1 + uy * rim + ux * side;
      const ex = x2 - ux * rim - uy * side, ey = y2 - uy * rim + ux * side;
      const cls = "c-" + panel.d.classes[m.kind[k]];
      const fate = FATES[m.fate[k]];
      const kind = panel.d.kinds[m.kind[k]];
      const text = `${kind} ${a + 1}\u2192${b + 1}, term ${m.term[k]}, sent ${seconds(m.sent[k])}`
        + (never ? `, ${fate === "lost" ? "lost" : "link cut"}: never left`
          : `, ${fate === "delivered" ? "arrives" : "dropped (" + fate.replace(/_/g, " ") + ")"}`
            + ` ${seconds(m.end[k])}`);
      const g = titled(svg("g", {}, layer), text);
      count++;
      if (never) {
        const hx = sx + (ex - sx) * 0.2, hy = sy + (ey - sy) * 0.2;
        svg("line", { class: "msg doomed " + cls, x1: sx, y1: sy, x2: hx, y2: hy }, g);
        cross(g, hx, hy, 4, "lostmark");
        continue;
      }
      const f = Math.min(1, Math.max(0, (T - m.sent[k]) / (m.end[k] - m.sent[k])));
      const hx = sx + (ex - sx) * f, hy = sy + (ey - sy) * f;
      svg("line", { class: "msg " + cls + (fate === "delivered" ? "" : " doomed"),
        x1: sx, y1: sy, x2: hx, y2: hy }, g);
      svg("polygon", { class: "msghead " + cls, points: `${hx},${hy} ${hx - ux * 9 - uy * 4.5},`
        + `${hy - uy * 9 + ux * 4.5} ${hx - ux * 9 + uy * 4.5},${hy - uy * 9 - ux * 4.5}` }, g);
    }
    return count;
  }

  function leaderAt(d, T) {
    for (const s of d.leaders) {
      if (s.start <= T && T < s.end) return s;
      if (s.start > T) break;
    }
    return null;
  }

  function drawPanel(panel, T) {
    const d = panel.d;
    const exact = exactAt(d, T);
    panel.section.dataset.tUs = String(T);
    panel.section.dataset.exact = String(exact);
    drawNodes(panel, T, exact);
    const cuts = drawLinks(panel, T);
    const flying = drawMessages(panel, T);
    panel.badge.className = "badge " + (exact ? "exact" : "coarse");
    panel.badge.textContent = exact ? "full detail"
      : `between detail windows: log and commit as sampled every ${d.coarse / 1000} ms, no messages`;
    const leader = leaderAt(d, T);
    const recent = d.markers.filter((mk) => mk.t <= T).pop();
    const parts = [
      leader ? `leader: node ${leader.node + 1} (term ${leader.term})${leader.paused ? ", paused" : ""}`
        : "no leader",
      !d.linksKnown ? "links: not recorded in a trace"
        : cuts.length ? "cut: " + cuts.join(", ") : "links: all up",
      `${flying} message${flying === 1 ? "" : "s"} in flight`,
    ];
    if (T > d.end) parts.push("the run ended at " + seconds(d.end));
    panel.summary.textContent = parts.join(" \u00B7 ");
    if (recent) {
      const line = document.createElement("div");
      line.textContent = `last marker: ${recent.kind} at ${shortSeconds(recent.t)}: ${recent.text}`;
      panel.summary.appendChild(line);
    }
  }

  let panels = [];

  function buildPanels() {
    const main = $("panels");
    main.textContent = "";
    panels = shown().map(makePanel);
    for (const p of panels) main.appendChild(p.section);
  }

  // ---- timeline ----------------------------------------------------------

  let rows = [];
  let viewRange = [0, duration];

  function viewFor(T) {
    const span = state.zoom;
    if (!span || span >= duration) return [0, duration];
    let start = Math.max(0, Math.min(duration - span, T - span / 2));
    return [start, start + span];
  }

  function xOf(t, width) {
    return ((t - viewRange[0]) / (viewRange[1] - viewRange[0])) * width;
  }

  function timeOfX(x, width) {
    const t = viewRange[0] + (x / width) * (viewRange[1] - viewRange[0]);
    return Math.round(Math.max(0, Math.min(duration, t)));
  }

  function buildTimeline() {
    const box = $("timeline");
    box.textContent = "";
    rows = [];
    const axis = document.createElement("div");
    axis.className = "trow axis";
    const spacer = document.createElement("div");
    spacer.className = "tlabel";
    const axisSvg = svg("svg", { class: "axis" });
    axis.append(spacer, axisSvg);
    box.appendChild(axis);
    rows.push({ axis: true, svg: axisSvg });
    for (const d of variants) {
      const row = document.createElement("div");
      row.className = "trow";
      const label = document.createElement("div");
      label.className = "tlabel";
      label.textContent = d.label;
      label.title = `${d.label}: click to show on the left, shift-click on the right`;
      label.addEventListener("click", (e) => pick(e.shiftKey ? "right" : "left", d.label));
      const strip = svg("svg", {});
      row.append(label, strip);
      box.appendChild(row);
      rows.push({ d, row, svg: strip });
      let dragging = false;
      const seek = (e) => {
        const box = strip.getBoundingClientRect();
        setTime(timeOfX(e.clientX - box.left, box.width));
      };
      strip.addEventListener("pointerdown", (e) => {
        if (e.target.dataset && e.target.dataset.t) return;
        dragging = true;
        strip.setPointerCapture(e.pointerId);
        seek(e);
      });
      strip.addEventListener("pointermove", (e) => { if (dragging) seek(e); });
      strip.addEventListener("pointerup", () => { dragging = false; });
    }
  }

  function niceStep(span) {
    const raw = span / 8;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
    return 10 * p;
  }

  function drawTimeline() {
    viewRange = viewFor(state.T);
    const [v0, v1] = viewRange;
    for (const row of rows) {
      const el = row.svg;
      const width = el.getBoundingClientRect().width || 800;
      el.setAttribute("viewBox", `0 0 ${width} ${row.axis ? 18 : 24}`);
      el.textContent = "";
      if (row.axis) {
        const step = niceStep(v1 - v0);
        for (let t = Math.ceil(v0 / step) * step; t <= v1; t += step) {
          const x = xOf(t, width);
          svg("line", { x1: x, y1: 12, x2: x, y2: 18, stroke: "#999" }, el);
          const label = svg("text", { x: Math.min(Math.max(x, 14), width - 14), y: 10,
            "text-anchor": "middle" }, el);
          label.textContent = step >= 1e6 ? (t / 1e6) + " s" : (t / 1e3) + " ms";
        }
        continue;
      }
      const d = row.d;
      row.row.classList.toggle("shown", d === state.left || d === state.right);
      for (const [start, end] of d.windows) {
        if (end < v0 || start > v1) continue;
        svg("rect", { x: xOf(start, width), y: 0, height: 24, fill: "#e9f0fb",
          width: Math.max(1, xOf(end, width) - xOf(start, width)) }, el);
      }
      for (const s of d.leaders) {
        if (s.end < v0 || s.start > v1) continue;
        const x = xOf(s.start, width);
        titled(svg("rect", { x, y: 11, height: 10, width: Math.max(1, xOf(s.end, width) - x),
          fill: NODE_COLOURS[s.node % NODE_COLOURS.length], opacity: s.paused ? 0.45 : 1 }, el),
        `node ${s.node + 1} leads term ${s.term}${s.paused ? " (paused)" : ""} from `
          + `${shortSeconds(s.start)} to ${shortSeconds(s.end)}`);
      }
      if (d.end < duration) {
        svg("rect", { x: xOf(d.end, width), y: 0, height: 24, fill: "#eee",
          width: Math.max(0, width - xOf(d.end, width)) }, el);
      }
      for (const mk of d.markers) {
        if (mk.t < v0 || mk.t > v1) continue;
        const x = xOf(mk.t, width);
        const colour = MARKER_COLOURS[mk.kind];
        const shape = markerShape(el, mk.kind, x, 5, colour);
        shape.dataset.t = String(mk.t);
        shape.style.cursor = "pointer";
        titled(shape, `${shortSeconds(mk.t)} ${mk.kind}: ${mk.text}`);
        shape.addEventListener("pointerdown", (e) => { e.stopPropagation(); setTime(mk.t); });
      }
      const cx = xOf(state.T, width);
      svg("line", { x1: cx, y1: 0, x2: cx, y2: 24, stroke: "#c00", "stroke-width": 1.5 }, el);
    }
  }

  function markerShape(parent, kind, x, y, colour) {
    const r = 4.5;
    if (kind === "fault") {
      return svg("polygon", { points: `${x - r},${y - r} ${x + r},${y - r} ${x},${y + r}`, fill: colour }, parent);
    }
    if (kind === "election") return svg("circle", { cx: x, cy: y, r: r, fill: colour }, parent);
    if (kind === "disruption") {
      return svg("polygon", { points: `${x},${y - r} ${x + r},${y} ${x},${y + r} ${x - r},${y}`, fill: colour }, parent);
    }
    if (kind === "config") return svg("rect", { x: x - r, y: y - r, width: 2 * r, height: 2 * r, fill: colour }, parent);
    const g = svg("g", {}, parent);
    svg("rect", { x: x - r - 1, y: y - r - 1, width: 2 * r + 2, height: 2 * r + 2, fill: "#fff", opacity: 0.01 }, g);
    cross(g, x, y, r, "vmark");
    for (const line of g.querySelectorAll("line")) {
      line.setAttribute("stroke", "#c00");
      line.setAttribute("stroke-width", 2.5);
    }
    return g;
  }

  // ---- moments list ------------------------------------------------------

  let momentItems = [];

  function buildMoments() {
    const list = $("moments");
    list.textContent = "";
    const all = shown().flatMap((d) => d.markers).sort((a, b) => a.t - b.t);
    momentItems = all.map((mk) => {
      const li = document.createElement("li");
      const when = document.createElement("span");
      when.className = "when";
      when.textContent = shortSeconds(mk.t);
      const which = document.createElement("span");
      which.className = "which";
      which.textContent = mk.variant;
      const what = document.createElement("span");
      what.className = "what";
      what.style.color = MARKER_COLOURS[mk.kind];
      what.textContent = mk.kind;
      const text = document.createElement("span");
      text.textContent = mk.text;
      li.append(when, which, what, text);
      li.addEventListener("click", () => setTime(mk.t));
      list.appendChild(li);
      return { mk, li };
    });
  }

  function markMoments(T) {
    let current = null;
    for (const item of momentItems) {
      item.li.classList.remove("current");
      if (item.mk.t <= T) current = item;
    }
    if (current) current.li.classList.add("current");
  }

  // ---- navigation --------------------------------------------------------

  function allMarkers() {
    return shown().flatMap((d) => d.markers).map((mk) => mk.t).sort((a, b) => a - b);
  }

  function nextEvent(T) {
    let best = Infinity;
    for (const d of shown()) {
      for (const arr of [d.statusTimes, d.msgs.sent, d.msgs.ends, d.otherTimes]) {
        const i = upper(arr, T);
        if (i < arr.length && arr[i] < best) best = arr[i];
      }
      const m = d.msgs;
      // A message that never left disappears after its display time.
      const from = lower(m.sent, T - m.lostShow);
      for (let k = from; k < m.count && m.sent[k] <= T; k++) {
        const until = m.sent[k] + m.lostShow;
        if (m.end[k] === m.sent[k] && until > T && until < best) best = until;
      }
    }
    return best === Infinity ? null : best;
  }

  function previousEvent(T) {
    let best = -Infinity;
    for (const d of shown()) {
      for (const arr of [d.statusTimes, d.msgs.sent, d.msgs.ends, d.otherTimes]) {
        const i = lower(arr, T) - 1;
        if (i >= 0 && arr[i] > best) best = arr[i];
      }
    }
    return best === -Infinity ? null : best;
  }

  function jumpMarker(forward) {
    const times = allMarkers();
    const T = state.T;
    const target = forward ? times.find((t) => t > T)
      : times.slice().reverse().find((t) => t < T);
    if (target !== undefined) setTime(target);
  }

  function step(forward) {
    pause();
    const t = forward ? nextEvent(state.T) : previousEvent(state.T);
    if (t !== null) setTime(t);
  }

  // ---- time, play, address -----------------------------------------------

  function render() {
    const T = state.T;
    $("time-show").textContent = "t = " + seconds(T);
    $("slider").value = String(T);
    for (const p of panels) drawPanel(p, T);
    drawTimeline();
    markMoments(T);
  }

  function setTime(T, keepPlaying) {
    state.T = Math.max(0, Math.min(duration, Math.round(T)));
    if (!keepPlaying) pause();
    render();
    scheduleHash();
  }

  function frame(now) {
    if (!state.playing) return;
    const elapsed = Math.min(100, now - state.lastFrame);
    state.lastFrame = now;
    const next = state.T + elapsed * 1000 * state.speed;
    if (next >= duration) {
      setTime(duration);
      return;
    }
    setTime(next, true);
    requestAnimationFrame(frame);
  }

  function play() {
    if (state.T >= duration) state.T = 0;
    state.playing = true;
    state.lastFrame = performance.now();
    $("play").textContent = "\u2016";
    $("play").classList.add("on");
    requestAnimationFrame(frame);
  }

  function pause() {
    state.playing = false;
    $("play").textContent = "\u25B6";
    $("play").classList.remove("on");
  }

  function address() {
    const parts = ["t=" + String(Number((state.T / 1000).toFixed(3)))];
    if (state.left) parts.push("variant=" + encodeURIComponent(state.left.label));
    parts.push("compare=" + (state.right ? encodeURIComponent(state.right.label) : "none"));
    return "#" + parts.join("&");
  }

  function scheduleHash() {
    if (state.hashTimer) return;
    state.hashTimer = setTimeout(() => {
      state.hashTimer = 0;
      const hash = address();
      if (location.hash === hash) return;
      try {
        history.replaceState(null, "", hash);
      } catch (e) {
        // Some browsers refuse this for file:// pages: the address just stays.
      }
    }, 200);
  }

  function parseHash() {
    const params = {};
    for (const part of location.hash.replace(/^#/, "").split("&")) {
      const eq = part.indexOf("=");
      if (eq > 0) params[part.slice(0, eq)] = decodeURIComponent(part.slice(eq + 1));
    }
    return params;
  }

  /** "12.5s", "1500ms", "1500" (ms): microseconds, or null. */
  function parseTime(text) {
    const m = /^\s*([0-9]*\.?[0-9]+)\s*(ms|s|us|µs)?\s*$/.exec(text);
    if (!m) return null;
    const value = parseFloat(m[1]);
    const unit = m[2] === "s" ? 1e6 : m[2] === "us" || m[2] === "µs" ? 1 : 1e3;
    return Math.round(value * unit);
  }

  function pick(side, label) {
    const d = label === "none" ? null : byLabel.get(label) || null;
    if (side === "left") {
      if (!d) return;
      if (state.right === d) state.right = state.left;
      state.left = d;
    } else {
      state.right = d === state.left ? null : d;
    }
    $("pick-left").value = state.left ? state.left.label : "";
    $("pick-right").value = state.right ? state.right.label : "none";
    buildPanels();
    buildMoments();
    render();
    scheduleHash();
  }

  function applyAddress() {
    const params = parseHash();
    const start = DATA.start && params.t === undefined ? DATA.start : null;
    if (start && params.variant === undefined) params.variant = start.variant;
    const left = byLabel.get(params.variant) || variants[0] || null;
    let right = null;
    if (params.compare === "none") right = null;
    else if (params.compare && byLabel.get(params.compare)) right = byLabel.get(params.compare);
    else right = variants.find((d) => d !== left) || null;
    if (right === left) right = null;
    state.left = left;
    state.right = right;
    $("pick-left").value = left ? left.label : "";
    $("pick-right").value = right ? right.label : "none";
    buildPanels();
    buildMoments();
    const t = params.t !== undefined ? parseTime(params.t) : start ? start.t_us : null;
    state.T = t === null ? 0 : Math.max(0, Math.min(duration, t));
    render();
    return params;
  }

  // ---- set-up ------------------------------------------------------------

  function option(select, value, text) {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    select.appendChild(o);
  }

  function legend() {
    const box = $("legend");
    const group = (title) => {
      const g = document.createElement("div");
      g.className = "group";
      const b = document.createElement("b");
      b.textContent = title;
      g.appendChild(b);
      box.appendChild(g);
      return g;
    };
    const item = (g, text, draw) => {
      const row = document.createElement("div");
      row.className = "item";
      const s = svg("svg", { width: 30, height: 16, viewBox: "0 0 30 16" });
      draw(s);
      const span = document.createElement("span");
      span.textContent = text;
      row.append(s, span);
      g.appendChild(row);
    };
    const roles = group("Node (fill: role; ring: node colour)");
    for (const [role, text] of [["leader", "leader"], ["candidate", "candidate"],
      ["precandidate", "pre-candidate (pre-vote)"], ["follower", "follower"],
      ["learner", "learner (no vote)"], ["crashed", "crashed (\u2715)"], ["paused", "paused (\u2016)"],
      ["removed", "outside the configuration"]]) {
      item(roles, text, (s) => {
        const g = svg("g", { class: "node", "data-role": role }, s);
        svg("circle", { class: "body", cx: 15, cy: 8, r: 6, stroke: "#888", "stroke-width": 1.5 }, g);
      });
    }
    const msgs = group("Messages in flight (arrow: where it is now)");
    for (const cls of Object.keys(CLASS_NAMES)) {
      item(msgs, CLASS_NAMES[cls], (s) => {
        svg("line", { class: "msg c-" + cls, x1: 2, y1: 8, x2: 22, y2: 8 }, s);
        svg("polygon", { class: "msghead c-" + cls, points: "28,8 20,4 20,12" }, s);
      });
    }
    item(msgs, "will be dropped (link cut in flight, receiver down)", (s) => {
      svg("line", { class: "msg doomed c-append", x1: 2, y1: 8, x2: 26, y2: 8 }, s);
    });
    item(msgs, "never left (lost, or its link was cut)", (s) => {
      svg("line", { class: "msg doomed c-append", x1: 2, y1: 8, x2: 16, y2: 8 }, s);
      cross(s, 19, 8, 4, "lostmark");
    });
    const links = group("Links");
    item(links, "working", (s) => svg("line", { class: "link", x1: 0, y1: 8, x2: 30, y2: 8 }, s));
    item(links, "cut both ways (\u2715 in the middle)", (s) => {
      svg("line", { class: "link cut", x1: 0, y1: 8, x2: 30, y2: 8 }, s);
      cross(s, 15, 8, 4, "cutmark");
    });
    item(links, "cut one way (\u2715 near the node that cannot send)", (s) => {
      svg("line", { class: "link cut", x1: 0, y1: 8, x2: 30, y2: 8 }, s);
      cross(s, 8, 8, 4, "cutmark");
    });
    const marks = group("Timeline");
    for (const kind of DATA.vocabulary.markers) {
      item(marks, kind, (s) => markerShape(s, kind, 15, 8, MARKER_COLOURS[kind]));
    }
    item(marks, "leader (colour of its node)", (s) =>
      svg("rect", { x: 2, y: 4, width: 26, height: 8, fill: NODE_COLOURS[0] }, s));
    item(marks, "full detail: every message", (s) =>
      svg("rect", { x: 0, y: 0, width: 30, height: 16, fill: "#e9f0fb" }, s));
    const keys = group("Keys");
    for (const [key, text] of [["space", "play / pause"], ["\u2190 \u2192", "previous / next event"],
      ["[ ]", "previous / next marker"], ["- +", "slower / faster"], ["Home End", "start / end"]]) {
      const row = document.createElement("div");
      row.className = "item";
      const k = document.createElement("kbd");
      k.textContent = key;
      const span = document.createElement("span");
      span.textContent = text;
      row.append(k, span);
      keys.appendChild(row);
    }
  }

  function changeSpeed(delta) {
    const i = SPEEDS.indexOf(state.speed) + delta;
    if (i >= 0 && i < SPEEDS.length) {
      state.speed = SPEEDS[i];
      $("speed").value = String(state.speed);
    }
  }

  function probe(list) {
    // For tests: the DOM's node attributes at each instant (ms) of the list.
    const out = [];
    for (const ms of list.split(",")) {
      const T = parseTime(ms);
      if (T === null) continue;
      setTime(T);
      for (const section of document.querySelectorAll(".panel")) {
        for (const g of section.querySelectorAll(".node")) {
          out.push({ t_us: Number(section.dataset.tUs), variant: section.dataset.variant,
            node: Number(g.dataset.node), role: g.dataset.role, raft_role: g.dataset.raftRole,
            term: Number(g.dataset.term), commit: Number(g.dataset.commit),
            log: Number(g.dataset.log), exact: g.dataset.exact === "true" });
        }
      }
    }
    const pre = $("probe-result");
    pre.textContent = JSON.stringify(out);
  }

  function init() {
    $("scenario").textContent = DATA.scenario;
    $("facts").textContent = [`seed ${DATA.seed}`, `${N} nodes`,
      `${shortSeconds(DATA.duration_us)} virtual`,
      `${variants.length} variant${variants.length === 1 ? "" : "s"}`, `from ${DATA.source}`].join(" \u00B7 ");
    $("description").textContent = DATA.description || "";
    $("command").textContent = DATA.command ? "reproduce: " + DATA.command : "";
    for (const s of SPEEDS) option($("speed"), String(s), s + "\u00D7");
    $("speed").value = String(state.speed);
    for (const z of ZOOMS) {
      if (z && z >= duration) continue;
      option($("zoom"), String(z), z ? (z >= 1e6 ? z / 1e6 + " s" : z / 1e3 + " ms") : "whole run");
    }
    for (const d of variants) option($("pick-left"), d.label, d.label);
    option($("pick-right"), "none", "(none)");
    for (const d of variants) option($("pick-right"), d.label, d.label);
    if (variants.length < 2) $("pick-right").disabled = true;
    $("slider").max = String(duration);
    $("play").addEventListener("click", () => (state.playing ? pause() : play()));
    $("step-back").addEventListener("click", () => step(false));
    $("step-forward").addEventListener("click", () => step(true));
    $("prev-marker").addEventListener("click", () => jumpMarker(false));
    $("next-marker").addEventListener("click", () => jumpMarker(true));
    $("speed").addEventListener("change", (e) => { state.speed = Number(e.target.value); });
    $("zoom").addEventListener("change", (e) => { state.zoom = Number(e.target.value); render(); });
    $("slider").addEventListener("input", (e) => setTime(Number(e.target.value)));
    $("pick-left").addEventListener("change", (e) => pick("left", e.target.value));
    $("pick-right").addEventListener("change", (e) => pick("right", e.target.value));
    $("time-input").addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      const t = parseTime(e.target.value);
      if (t !== null) setTime(t);
    });
    document.addEventListener("keydown", (e) => {
      const tag = e.target.tagName;
      if (tag === "SELECT" || (tag === "INPUT" && e.target.type === "text")) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const actions = {
        " ": () => (state.playing ? pause() : play()),
        ArrowRight: () => step(true), ArrowLeft: () => step(false),
        "]": () => jumpMarker(true), "[": () => jumpMarker(false),
        "+": () => changeSpeed(1), "=": () => changeSpeed(1), "-": () => changeSpeed(-1),
        Home: () => setTime(0), End: () => setTime(duration),
      };
      const action = actions[e.key];
      if (action) {
        e.preventDefault();
        action();
      }
    });
    window.addEventListener("hashchange", () => {
      if (location.hash !== address()) applyAddress();
    });
    window.addEventListener("resize", () => drawTimeline());
    legend();
    buildTimeline();
    const params = applyAddress();
    if (params.probe) probe(params.probe);
    document.body.dataset.ready = "true";
  }

  init();
})();
