// The main window: the real session, as the broker reports it. It checks the session
// every few seconds (reading it is not activity) and tells the broker the trader is
// active, at most every KEEPALIVE_EVERY_MS; a session the broker ended closes this
// window from the Rust side and the login window says why.
"use strict";

const $ = portcullis.byTestId;

const CHECK_EVERY_MS = 3000;
const KEEPALIVE_EVERY_MS = 15000;

function showSession(s) {
  $("session-username").textContent = s.username;
  $("session-full-name").textContent = s.full_name || "—";
  $("session-account").textContent = s.account;
  $("session-device").textContent = s.device_id
    ? format.device(s.device_kind, s.device_id)
    : "None (password only)";
  $("session-logged-in-at").textContent = format.utc(s.logged_in_at);
  $("topbar-user").textContent = `${s.username} · ${s.account}`;
  const ends = $("session-expires");
  if (s.expires_at) {
    ends.dataset.expiresAt = s.expires_at;
    ends.textContent = `${format.localTime(s.expires_at)} local time (${format.utc(s.expires_at, { seconds: false })}), unless you stay active`;
  } else {
    ends.textContent = "—";
  }
  const box = $("session-error");
  box.hidden = true;
  delete box.dataset.code;
}

function showProblem(err) {
  // session_expired / invalid_session: the Rust side is already closing this window.
  const box = $("session-error");
  box.dataset.code = err.code;
  box.textContent = err.message;
  box.hidden = false;
}

async function check() {
  try {
    showSession(await portcullis.call("current_session", {}, { background: true }));
  } catch (err) {
    showProblem(err);
  }
}

let lastKeepalive = 0;
async function active() {
  const now = Date.now();
  if (now - lastKeepalive < KEEPALIVE_EVERY_MS) return;
  lastKeepalive = now;
  try {
    showSession(await portcullis.call("session_keepalive", {}, { background: true }));
  } catch (err) {
    showProblem(err);
  }
}

window.addEventListener("DOMContentLoaded", () => {
  $("logout-button").addEventListener("click", () => portcullis.call("logout"));
  for (const type of ["keydown", "pointerdown", "wheel"]) {
    document.addEventListener(type, active, { passive: true });
  }
  $("session-heading").focus();
  check();
  setInterval(check, CHECK_EVERY_MS);
});
