// The live test view: frames from /ws/live/{board} drawn with requestAnimationFrame.
// Plain JavaScript, no build step, no inline script (the page's CSP forbids it).
// A frame: {type:"frame", run, seq, t_s, samples:[[t_s, cop_ml_mm, cop_ap_mm, total_kg]...], events:[...],
//           state:{phase, instruction, side, left_s, ...}, first_wall_ms, sample_wall_ms, sent_ms}.
// first_wall_ms and sample_wall_ms: when the frame's oldest and newest samples left the driver (server
// clock, ms); the page measures each drawn sample's latency against them with the clock offset of a ping.
// Reconnects with backoff, asking for the frames after the last sequence number it drew.
"use strict";
(function () {
  var body = document.body;
  var board = body.getAttribute("data-board");
  if (!board) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var el = {
    instruction: $("live-instruction"), side: $("live-side"), timer: $("live-timer"), timerSub: $("live-timer-sub"),
    next: $("live-next"), load: $("live-load"), loadBar: $("live-load-bar"), loadText: $("live-load-text"),
    status: $("live-status"), title: $("live-title"), trial: $("live-trial"), readonly: $("live-readonly"),
    canvas: $("live-canvas"), zoom: $("live-zoom"), zoomScale: $("live-zoom-scale"), result: $("live-result"),
    headline: $("result-headline"), note: $("result-note"), table: $("result-table"), summary: $("result-summary"),
    link: $("result-link"), stop: $("stop"), retry: $("retry"), ready: $("ready"), fullscreen: $("fullscreen"),
    sound: $("sound")
  };
  var SIDE_WORDS = { left: "LEFT leg", right: "RIGHT leg", both: "both feet" };
  var COLORS = { left: "#0072B2", right: "#D55E00", both: "#333a42" };
  var TRAIL_S = 3.0, ZOOM_MM = 30.0, MAX_POINTS = 12000, MAX_LAT = 20000;

  var now = function () { return performance.timeOrigin + performance.now(); };
  var stats = { latencies_ms: [], network_ms: [], median_ms: null, p95_ms: null, frames: 0, samples: 0, fps: null,
                offset_ms: null, rtt_ms: null, reconnects: 0, last_seq: 0, run: null };
  var api = { stats: stats, state: null, connected: false };
  window.balanceLive = api;

  var runId = body.getAttribute("data-run") || null;
  var lastSeq = 0, trail = [], state = null, dirty = true, pendingLat = [], ws = null, backoff = 400, done = null;
  var controller = body.getAttribute("data-controller") === "1";
  var frameTimes = [];

  function setStatus(text, bad) {
    el.status.textContent = text;
    el.status.classList.toggle("bad", !!bad);
  }

  function quantile(sorted, q) {
    if (!sorted.length) { return null; }
    var i = (sorted.length - 1) * q, lo = Math.floor(i), hi = Math.ceil(i);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
  }

  function updateStats() {
    var s = stats.latencies_ms.slice().sort(function (a, b) { return a - b; });
    stats.median_ms = quantile(s, 0.5);
    stats.p95_ms = quantile(s, 0.95);
    if (frameTimes.length > 1) {
      stats.fps = 1000 * (frameTimes.length - 1) / (frameTimes[frameTimes.length - 1] - frameTimes[0]);
    }
  }

  function resetRun(id) {
    runId = id; lastSeq = 0; trail = []; done = null;
    el.result.hidden = true;
  }

  // -- sound: beeps for the countdown, the start and the end (eyes-closed trials need them) -----
  // Web Audio needs a click on this page first (browsers refuse sound without one): the Sound button.
  var audio = null;
  function beep(freq, ms) {
    if (!audio) { return; }
    var o = audio.createOscillator(), g = audio.createGain(), t = audio.currentTime;
    o.frequency.value = freq; o.connect(g); g.connect(audio.destination);
    g.gain.setValueAtTime(0.25, t); g.gain.exponentialRampToValueAtTime(0.001, t + ms / 1000);
    o.start(t); o.stop(t + ms / 1000);
  }
  el.sound.addEventListener("click", function () {
    if (audio) { audio.close(); audio = null; }
    else { var Ctx = window.AudioContext || window.webkitAudioContext; if (Ctx) { audio = new Ctx(); beep(660, 120); } }
    el.sound.textContent = audio ? "Sound on" : "Sound off";
    el.sound.setAttribute("aria-pressed", audio ? "true" : "false");
  });

  // keep a tablet's screen on during the test (where the browser allows it: https or localhost)
  var wake = null;
  function keepAwake(on) {
    if (on && !wake && navigator.wakeLock && document.visibilityState === "visible") {
      navigator.wakeLock.request("screen").then(function (w) { wake = w; w.addEventListener("release", function () { wake = null; }); })
        .catch(function () { /* not allowed here: the screen may dim */ });
    } else if (!on && wake) { wake.release(); wake = null; }
  }

  function applyEvent(e, live) {
    if (live && e.kind === "countdown") { beep(880, 120); }
    else if (live && e.kind === "beep") { beep(e.beep === "start" ? 1320 : 660, e.beep === "start" ? 350 : 600); }
    else if (live && e.kind === "failure") { beep(330, 500); }
    if (e.kind === "trial_started" || (e.kind === "instruction" && /^(stand_left|stand_right|step_on_both)$/.test(e.cue || ""))) {
      trail = [];
    } else if (e.kind === "done") {
      done = e;
    } else if (e.kind === "started") {
      trail = []; done = null; el.result.hidden = true;
    }
  }

  function onFrame(f) {
    if (f.run !== runId) { resetRun(f.run); }
    if (f.seq <= lastSeq) { return; }
    lastSeq = f.seq;
    stats.last_seq = f.seq; stats.run = f.run; stats.frames += 1;
    var i;
    for (i = 0; i < f.samples.length; i++) { trail.push(f.samples[i]); }
    stats.samples += f.samples.length;
    for (i = 0; i < f.events.length; i++) { applyEvent(f.events[i], !f.replay); }
    if (trail.length > MAX_POINTS) { trail = trail.slice(trail.length - MAX_POINTS); }
    state = f.state; api.state = state;
    var recv = now();
    if (!f.replay) {
      frameTimes.push(recv);
      if (frameTimes.length > 90) { frameTimes.shift(); }
    }
    if (!f.replay && f.sample_wall_ms !== null && f.samples.length) {
      pendingLat.push([f.first_wall_ms, f.sample_wall_ms, f.samples.length, f.sent_ms, recv]);
    }
    dirty = true;
  }

  // -- the connection ------------------------------------------------------------------------
  function connect() {
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    var url = proto + "//" + location.host + "/ws/live/" + encodeURIComponent(board) +
      "?run=" + encodeURIComponent(runId || "") + "&from=" + lastSeq;
    setStatus(stats.reconnects ? "reconnecting…" : "connecting…");
    ws = new WebSocket(url);
    ws.onopen = function () {
      backoff = 400; api.connected = true;
      setStatus("live");
      // clock offset: a few pings now, then one every 2 s; the quickest round trip of the connection
      // gives the estimate (a ping delayed one way would skew it by half the delay)
      stats.rtt_ms = null;
      for (var k = 0; k < 5; k++) { setTimeout(ping, 100 * k); }
    };
    ws.onmessage = function (m) {
      var msg;
      try { msg = JSON.parse(m.data); } catch (err) { return; }
      if (msg.type === "frame") { onFrame(msg); }
      else if (msg.type === "pong") {
        var t = now(), rtt = t - msg.client_ms;
        if (stats.rtt_ms === null || rtt < stats.rtt_ms) {  // the quickest round trip gives the best offset
          stats.rtt_ms = rtt;
          stats.offset_ms = msg.server_ms - (msg.client_ms + rtt / 2);
        }
      } else if (msg.type === "hello") {
        controller = !!msg.controller;
        setControls();
      }
    };
    ws.onclose = function () {
      api.connected = false; ws = null;
      stats.reconnects += 1;
      setStatus("connection lost: reconnecting…", true);
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 5000);
    };
    ws.onerror = function () { /* onclose follows */ };
  }

  function ping() {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify({ type: "ping", client_ms: now() })); }
  }
  setInterval(ping, 2000);

  function setControls() {
    var active = state && state.phase !== "done" && state.phase !== "error";
    el.stop.disabled = !controller || !active;
    el.retry.disabled = !controller || !state;
    el.readonly.hidden = controller || !state;
    el.ready.hidden = !(controller && state && state.confirm);
  }

  function post(path) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    var fd = new URLSearchParams();
    fd.set("board", board);
    return fetch(path, {
      method: "POST", credentials: "same-origin", body: fd,
      headers: { "X-CSRF-Token": meta ? meta.getAttribute("content") : "" }
    }).then(function (r) { return r.json(); }).then(function (j) {
      if (!j.ok) { setStatus(j.error || "refused", true); }
      return j;
    }).catch(function () { setStatus("could not reach the server", true); });
  }

  el.stop.addEventListener("click", function () {
    if (window.confirm("Stop the test? What was recorded so far is kept.")) { post("/test/stop"); }
  });
  el.retry.addEventListener("click", function () {
    var active = state && state.phase !== "done" && state.phase !== "error";
    if (!active || window.confirm("Start this test again from the beginning? What was recorded so far is kept.")) {
      post("/test/retry");
    }
  });
  el.ready.addEventListener("click", function () { post("/test/ready"); });
  el.fullscreen.addEventListener("click", function () {
    if (document.fullscreenElement) { document.exitFullscreen(); }
    else if (document.documentElement.requestFullscreen) { document.documentElement.requestFullscreen(); }
  });

  // -- drawing -------------------------------------------------------------------------------
  function fitCanvas(c) {
    var r = c.getBoundingClientRect(), dpr = window.devicePixelRatio || 1;
    var w = Math.max(1, Math.round(r.width * dpr)), h = Math.max(1, Math.round(r.height * dpr));
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
    return dpr;
  }

  function drawTrace(ctx, toX, toY, pts, color, lw, cx, cy) {
    if (!pts.length) { return; }
    var tEnd = pts[pts.length - 1][0], i, started = false;
    ctx.lineJoin = "round";
    // older samples faded, the last TRAIL_S seconds bright (as the live window)
    ctx.strokeStyle = "rgba(120,128,136,0.35)"; ctx.lineWidth = lw * 0.7; ctx.beginPath();
    for (i = 0; i < pts.length; i++) {
      var p = pts[i];
      if (p[1] === null || p[2] === null) { started = false; continue; }
      if (p[0] >= tEnd - TRAIL_S) { break; }
      if (!started) { ctx.moveTo(toX(p[1] - cx), toY(p[2] - cy)); started = true; } else { ctx.lineTo(toX(p[1] - cx), toY(p[2] - cy)); }
    }
    ctx.stroke();
    ctx.strokeStyle = color; ctx.lineWidth = lw; ctx.beginPath(); started = false;
    for (i = Math.max(0, i - 1); i < pts.length; i++) {
      var q = pts[i];
      if (q[1] === null || q[2] === null) { started = false; continue; }
      if (!started) { ctx.moveTo(toX(q[1] - cx), toY(q[2] - cy)); started = true; } else { ctx.lineTo(toX(q[1] - cx), toY(q[2] - cy)); }
    }
    ctx.stroke();
    var last = pts[pts.length - 1];
    if (last[1] !== null && last[2] !== null) {
      ctx.fillStyle = color; ctx.strokeStyle = "#fff"; ctx.lineWidth = lw * 0.8;
      ctx.beginPath(); ctx.arc(toX(last[1] - cx), toY(last[2] - cy), lw * 3.2, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    }
  }

  function drawBoard() {
    var c = el.canvas, dpr = fitCanvas(c), ctx = c.getContext("2d");
    var dims = (state && state.board_mm) || { sensors_ml: 433, sensors_ap: 238, surface_ml: 511, surface_ap: 316 };
    var W = c.width, H = c.height, m = 14 * dpr;
    var s = Math.min((W - 2 * m) / dims.surface_ml, (H - 2 * m) / dims.surface_ap);
    var toX = function (x) { return W / 2 + x * s; }, toY = function (y) { return H / 2 - y * s; };
    ctx.clearRect(0, 0, W, H);
    ctx.strokeStyle = "#8c959f"; ctx.lineWidth = 2 * dpr;
    var w = dims.surface_ml * s, h = dims.surface_ap * s, r = Math.min(w, h) * 0.08;
    ctx.beginPath();
    if (ctx.roundRect) { ctx.roundRect(W / 2 - w / 2, H / 2 - h / 2, w, h, r); } else { ctx.rect(W / 2 - w / 2, H / 2 - h / 2, w, h); }
    ctx.stroke();
    ctx.strokeStyle = "#d0d7de"; ctx.lineWidth = 1 * dpr; ctx.beginPath();
    ctx.moveTo(W / 2, H / 2 - h / 2); ctx.lineTo(W / 2, H / 2 + h / 2); ctx.moveTo(W / 2 - w / 2, H / 2); ctx.lineTo(W / 2 + w / 2, H / 2);
    ctx.stroke();
    ctx.fillStyle = "#8c959f";
    [[-1, -1], [-1, 1], [1, -1], [1, 1]].forEach(function (k) {
      ctx.beginPath(); ctx.arc(toX(k[0] * dims.sensors_ml / 2), toY(k[1] * dims.sensors_ap / 2), 5 * dpr, 0, 2 * Math.PI); ctx.fill();
    });
    drawTrace(ctx, toX, toY, trail, COLORS[(state && state.side) || "both"] || COLORS.both, 2.2 * dpr, 0, 0);
  }

  function drawZoom() {
    var c = el.zoom, dpr = fitCanvas(c), ctx = c.getContext("2d");
    var W = c.width, H = c.height, m = 10 * dpr, s = (Math.min(W, H) - 2 * m) / (2 * ZOOM_MM);
    var toX = function (x) { return W / 2 + x * s; }, toY = function (y) { return H / 2 - y * s; };
    ctx.clearRect(0, 0, W, H);
    ctx.strokeStyle = "#d0d7de"; ctx.lineWidth = 1 * dpr; ctx.beginPath();
    for (var g = -ZOOM_MM; g <= ZOOM_MM; g += 10) {
      ctx.moveTo(toX(g), toY(-ZOOM_MM)); ctx.lineTo(toX(g), toY(ZOOM_MM));
      ctx.moveTo(toX(-ZOOM_MM), toY(g)); ctx.lineTo(toX(ZOOM_MM), toY(g));
    }
    ctx.stroke();
    var sx = 0, sy = 0, n = 0, i;
    for (i = 0; i < trail.length; i++) { if (trail[i][1] !== null && trail[i][2] !== null) { sx += trail[i][1]; sy += trail[i][2]; n++; } }
    if (n) {
      ctx.save();  // the zoomed trace stays inside its ± ZOOM_MM square
      ctx.beginPath(); ctx.rect(toX(-ZOOM_MM), toY(ZOOM_MM), 2 * ZOOM_MM * s, 2 * ZOOM_MM * s); ctx.clip();
      drawTrace(ctx, toX, toY, trail, COLORS[(state && state.side) || "both"] || COLORS.both, 2.6 * dpr, sx / n, sy / n);
      ctx.restore();
    }
    el.zoomScale.textContent = "zoom ± " + ZOOM_MM + " mm around the mean";
  }

  function minutes(s) {  // as the console: "1 min 35 s", under a minute "40 s"
    s = Math.round(s);
    return s >= 60 ? Math.floor(s / 60) + " min " + String(s % 60).padStart(2, "0") + " s" : s + " s";
  }

  function fmt1(x) { return (Math.round(x * 10) / 10).toFixed(1); }

  function drawText() {
    if (!state) { return; }
    var phase = state.phase;
    body.setAttribute("data-state", ["waiting", "running", "rest", "done", "error"].indexOf(phase) >= 0 ? phase : "waiting");
    body.setAttribute("data-alert", state.alert ? "1" : "0");
    el.instruction.textContent = state.error && phase === "error" ? state.instruction + ": " + state.error : state.instruction;
    el.title.textContent = state.title + " · " + state.athlete;
    var about = state.session_left_s && phase !== "done" && phase !== "error" ?
      " · session about " + minutes(state.session_left_s) + " left" : "";
    el.trial.textContent = state.trial ? state.trial + (state.condition ? " · " + state.condition.replace(/_/g, " ") : "") + about : "";
    var side = phase === "rest" ? "" : (state.side || "");
    el.side.textContent = SIDE_WORDS[side] || "";
    el.side.className = "live-side " + side;
    var timer = "", sub = "";
    if (state.countdown !== null && state.countdown !== undefined) { timer = String(state.countdown); sub = "get ready"; }
    else if (phase === "rest" && state.left_s !== null) { timer = String(Math.ceil(state.left_s)); sub = "s rest left"; }
    else if (phase === "running" && state.left_s !== null) {
      timer = fmt1(state.left_s); sub = "s left of " + Math.round(state.duration_s) + " s";
    } else if (phase === "running" && state.elapsed_s !== undefined && state.elapsed_s !== null) { timer = fmt1(state.elapsed_s); sub = "s"; }
    else if (state.held_s !== null && state.held_s !== undefined && phase !== "done") { timer = fmt1(state.held_s); sub = "s held"; }
    el.timer.textContent = timer; el.timerSub.textContent = sub;
    var nxt = "";
    if (phase === "rest") { nxt = state.next_side ? "next: " + (SIDE_WORDS[state.next_side] || state.next_side) : "next: the next trial"; }
    else if (state.failure && state.alert) { nxt = state.failure.detail || ""; }
    el.next.textContent = nxt;
    el.next.className = "live-next " + (phase === "rest" ? state.next_side || "" : "");
    var load = state.load_kg, full = state.body_mass_kg || Math.max(50, load || 0);
    var frac = load ? Math.max(0, load) / full : 0;
    el.loadBar.style.width = (Math.min(frac, 1.3) / 1.3 * 100).toFixed(1) + "%";
    el.loadBar.classList.toggle("off", !!state.body_mass_kg && (frac < 0.9 || frac > 1.1));
    el.load.setAttribute("aria-valuenow", String(Math.round(frac * 100)));
    el.loadText.textContent = load === null || load === undefined ? "– kg" : fmt1(load) + " kg";
    setControls();
    keepAwake(phase !== "done" && phase !== "error");
    if (done && el.result.hidden) { showResult(done); }
  }

  function cell(tr, text, cls, measure, side) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) { td.className = cls; }
    if (measure) { td.setAttribute("data-measure", measure); }
    if (side) { td.setAttribute("data-side", side); }
    tr.appendChild(td);
  }

  function showResult(d) {  // what the session page shows first: its headline, left/right table and sentences
    var r = d.result;
    el.result.hidden = false;
    el.headline.textContent = r ? r.headline : (d.error || "The test could not run");
    el.note.textContent = r && d.error ? d.error : "";
    var tbody = el.table.querySelector("tbody");
    while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
    var rows = (r && r.rows) || [], several = r && r.conditions && r.conditions.length > 1;
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-measure", row.measure);
      tr.setAttribute("data-condition", row.condition);
      cell(tr, row.name); cell(tr, row.unit);
      if (several) { cell(tr, row.condition.replace(/_/g, " ")); }
      cell(tr, row.left || "–", "num", row.measure, "left"); cell(tr, row.right || "–", "num", row.measure, "right");
      cell(tr, row.si_pct || "–", "num"); cell(tr, row.mdc95 || "–", "num");
      cell(tr, row.beyond === null ? "–" : (row.beyond ? "yes" : "no"), row.beyond ? "flag-worse" : "");
      tbody.appendChild(tr);
    });
    el.table.querySelector(".result-condition").hidden = !several;
    el.table.hidden = rows.length === 0;
    while (el.summary.firstChild) { el.summary.removeChild(el.summary.firstChild); }
    ((r && r.summary) || []).forEach(function (line) {
      if (line === el.headline.textContent) { return; }
      var li = document.createElement("li"); li.textContent = line; el.summary.appendChild(li);
    });
    if (d.session_id) { el.link.href = "/sessions/" + d.session_id; el.link.hidden = false; }
    else { el.link.hidden = true; }
  }

  function tick() {
    if (pendingLat.length && stats.offset_ms !== null) {
      var t = now() + stats.offset_ms;  // the page's clock on the server's
      for (var i = 0; i < pendingLat.length; i++) {
        // one latency per drawn sample: the samples of a frame left the driver evenly between its
        // oldest and newest sample's times (100 Hz boards)
        var p = pendingLat[i], n = p[2], first = p[0] === null ? p[1] : p[0];
        for (var k = 0; k < n; k++) { stats.latencies_ms.push(t - (n > 1 ? first + (p[1] - first) * k / (n - 1) : p[1])); }
        if (p[3]) { stats.network_ms.push(p[4] + stats.offset_ms - p[3]); }
      }
      if (stats.latencies_ms.length > MAX_LAT) { stats.latencies_ms.splice(0, stats.latencies_ms.length - MAX_LAT); }
      if (stats.network_ms.length > MAX_LAT) { stats.network_ms.splice(0, stats.network_ms.length - MAX_LAT); }
      if (stats.frames % 15 === 0) { updateStats(); }
    }
    pendingLat = [];
    if (dirty) {
      dirty = false;
      drawText(); drawBoard(); drawZoom();
    }
    window.requestAnimationFrame(tick);
  }

  window.addEventListener("resize", function () { dirty = true; });
  api.updateStats = updateStats;
  setControls();
  connect();
  window.requestAnimationFrame(tick);
})();
